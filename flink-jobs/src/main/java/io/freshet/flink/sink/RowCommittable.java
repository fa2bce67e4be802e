package io.freshet.flink.sink;

import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.util.List;
import java.util.Objects;

/**
 * The rows one writer subtask prepared for one checkpoint, to be committed once that checkpoint
 * completes. It carries the rows themselves: Flink keeps it in the committer's state until the
 * store has them, and replays it after a restart.
 */
public final class RowCommittable implements CheckpointCommittable {
  private final String view;
  private final CommitId id;
  private final List<FeatureRow> rows;

  /**
   * @param view the view version the rows belong to, see {@link #viewOf(ViewPlan)}
   * @param id which writer and checkpoint prepared them
   * @param rows the rows, at most one per store key, in the order they were written
   */
  public RowCommittable(String view, CommitId id, List<FeatureRow> rows) {
    this.view = Objects.requireNonNull(view, "view");
    this.id = Objects.requireNonNull(id, "id");
    this.rows = List.copyOf(rows);
  }

  /** How a committable names its view version, e.g. {@code user_activity@1a2b3c4d5e}. */
  public static String viewOf(ViewPlan plan) {
    return plan.name() + "@" + plan.versionTag();
  }

  @Override
  public String view() {
    return view;
  }

  @Override
  public CommitId id() {
    return id;
  }

  public List<FeatureRow> rows() {
    return rows;
  }

  /** The same rows, belonging to the given checkpoint. */
  public RowCommittable withCheckpoint(long checkpointId) {
    return new RowCommittable(view, id.withCheckpoint(checkpointId), rows);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RowCommittable c
        && c.view.equals(view)
        && c.id.equals(id)
        && c.rows.equals(rows);
  }

  @Override
  public int hashCode() {
    return Objects.hash(view, id, rows.size());
  }

  /** Short on purpose: Flink prints committables in failure messages. */
  @Override
  public String toString() {
    return rows.size() + " rows of " + view + " from " + id;
  }
}
