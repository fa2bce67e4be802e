package io.freshet.training;

import java.util.Map;

/**
 * The point-in-time merge of one view: offline rows streamed once, the labels of each entity
 * visited once, in time order.
 *
 * <p>Rows arrive as {@link CopyText} lines {@code entity_key, feature_ts (epoch µs), value...},
 * each entity's rows contiguous and in {@code feature_ts} order. The entity's labels, sorted by
 * time, are found by hash lookup, so the merge needs no agreement between the order in which
 * Postgres emits entities and any order Java could compute (collations differ; see {@link
 * ViewReader}); it checks that each entity arrives in one run and in time order, and fails loudly
 * otherwise.
 *
 * <p>For a label at time {@code L}, the answer is the row with the greatest {@code F} such that
 * {@code F + delay <= L}, if {@code L < F + ttl}; otherwise null. With rows in {@code F} order and
 * labels in {@code L} order, every label whose {@code L < F + delay} for the next row {@code F}
 * gets the best row so far, then that row becomes the best: one pass over both. A row's values are
 * decoded only if some label takes it. Not thread-safe; one instance per stream.
 */
final class AsOfJoin extends EntitySweep {
  /** The labels of one entity, sorted by time (ties by label order). */
  static final class Group {
    final int[] labels;
    boolean seen;

    Group(int[] labels) {
      this.labels = labels;
    }
  }

  private final long delayMicros;
  private final long ttlMicros;
  private final String[][] picked;

  /**
   * @param groups the labels of every entity this stream may hold, by entity key
   * @param labelTimes every label's time in epoch µs, by label index
   * @param delayMicros the view's availability delay, rounded up to µs
   * @param ttlMicros the view's TTL, rounded up to µs
   * @param valueCount how many values follow the timestamp in each row
   * @param picked where the values for label {@code i} go, as {@code picked[i]}; labels that see no
   *     row are left untouched (null)
   */
  AsOfJoin(
      Map<String, Group> groups,
      long[] labelTimes,
      long delayMicros,
      long ttlMicros,
      int valueCount,
      String[][] picked) {
    super(groups, labelTimes, valueCount, "offline", "feature_ts");
    this.delayMicros = delayMicros;
    this.ttlMicros = ttlMicros;
    this.picked = picked;
  }

  @Override
  boolean firstRun(String key, Group group) {
    if (group.seen) {
      return false;
    }
    group.seen = true;
    return true;
  }

  @Override
  void acceptRow(byte[] row, int from) {
    int tsEnd = CopyText.fieldEnd(row, from);
    long ts = CopyText.parseLong(row, from, tsEnd);
    inOrder(ts);
    if (!assignBefore(LabelTime.saturatedAdd(ts, delayMicros))) {
      return;
    }
    best(row, tsEnd + 1, ts);
  }

  @Override
  void assign(int label) {
    if (!hasBest() || labelTime(label) >= LabelTime.saturatedAdd(bestTs(), ttlMicros)) {
      return;
    }
    picked[label] = bestValues();
  }
}
