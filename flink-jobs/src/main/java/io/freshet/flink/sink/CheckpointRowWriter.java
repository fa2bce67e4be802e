package io.freshet.flink.sink;

import io.freshet.flink.sink.ExactlyOnceRowSink.Keep;
import io.freshet.storage.FeatureRow;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;

/**
 * Holds the rows arriving between two checkpoints and hands them over, as one committable, when
 * Flink prepares the next checkpoint. It writes nothing itself: rows reach a store only through the
 * committer, once the checkpoint that covers them is complete.
 */
final class CheckpointRowWriter implements CommittingSinkWriter<FeatureRow, RowCommittable> {
  private record WindowKey(String entityKey, long featureTs) {}

  private final String view;
  private final Keep keep;
  private final CommitId id;
  private Map<Object, FeatureRow> pending = new LinkedHashMap<>();

  CheckpointRowWriter(String view, Keep keep, CommitId id) {
    this.view = Objects.requireNonNull(view, "view");
    this.keep = Objects.requireNonNull(keep, "keep");
    this.id = Objects.requireNonNull(id, "id");
  }

  @Override
  public void write(FeatureRow row, Context context) {
    // Upstream may reuse the values array once this call returns.
    FeatureRow copy = new FeatureRow(row.entityKey(), row.featureTs(), row.values().clone());
    switch (keep) {
      case LAST_PER_WINDOW -> pending.put(new WindowKey(row.entityKey(), row.featureTs()), copy);
      case NEWEST_PER_ENTITY ->
          pending.merge(
              row.entityKey(), copy, (old, now) -> now.featureTs() >= old.featureTs() ? now : old);
    }
  }

  @Override
  public void flush(boolean endOfInput) {
    // Rows are committed with the checkpoint, never earlier.
  }

  @Override
  public Collection<RowCommittable> prepareCommit() {
    if (pending.isEmpty()) {
      return List.of();
    }
    List<FeatureRow> rows = new ArrayList<>(pending.values());
    pending = new LinkedHashMap<>();
    return List.of(new RowCommittable(view, id, rows));
  }

  /** Rows waiting for the next checkpoint. */
  int pendingRows() {
    return pending.size();
  }

  @Override
  public void close() {
    pending = new LinkedHashMap<>();
  }
}
