package io.freshet.flink.sink;

import io.freshet.flink.sink.CommitFaults.Store;

/**
 * The committer of rows: what {@link CheckpointCommitter} does around a store, for {@link
 * RowCommittable}s.
 */
public abstract class RowCommitter extends CheckpointCommitter<RowCommittable> {
  /**
   * @param store which store, for test hooks
   * @param target the store's target in messages, e.g. {@code offline table freshet."v__tag"}
   * @param view the view version of the sink, see {@link RowCommittable#viewOf}
   * @param backoff how transient errors are retried
   */
  protected RowCommitter(Store store, String target, String view, Backoff backoff) {
    super(store, target, view, backoff, "rows", RowCommitter.class);
  }
}
