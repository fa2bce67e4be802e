package io.freshet.flink.sink;

/**
 * What an exactly-once sink prepares for one checkpoint and commits once the checkpoint completes:
 * rows ({@link RowCommittable}) or tile versions of a request-time view. Its view version and its
 * {@link CommitId} are what a committer checks and records.
 */
public interface CheckpointCommittable {
  /**
   * The view version it belongs to, {@code {view}@{versionTag}} (see {@link
   * RowCommittable#viewOf}).
   */
  String view();

  /** Which writer and checkpoint prepared it. */
  CommitId id();
}
