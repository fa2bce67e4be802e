package io.freshet.flink.sink;

import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.util.List;

/**
 * The rows one writer subtask prepared for one checkpoint, to be committed once that checkpoint
 * completes. It carries the rows themselves: Flink keeps it in the committer's state until the
 * store has them, and replays it after a restart.
 */
public final class RowCommittable extends BatchCommittable<FeatureRow, RowCommittable> {
  /**
   * @param view the view version the rows belong to, see {@link #viewOf(ViewPlan)}
   * @param id which writer and checkpoint prepared them
   * @param rows the rows, at most one per store key, in the order they were written
   */
  public RowCommittable(String view, CommitId id, List<FeatureRow> rows) {
    super(view, id, rows, "rows");
  }

  /** How a committable names its view version, e.g. {@code user_activity@1a2b3c4d5e}. */
  public static String viewOf(ViewPlan plan) {
    return plan.name() + "@" + plan.versionTag();
  }

  public List<FeatureRow> rows() {
    return items();
  }

  @Override
  protected RowCommittable withId(CommitId newId) {
    return new RowCommittable(view(), newId, rows());
  }
}
