package io.freshet.training;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
final class AsOfJoin {
  /** The labels of one entity, sorted by time (ties by label order). */
  static final class Group {
    final int[] labels;
    boolean seen;

    Group(int[] labels) {
      this.labels = labels;
    }
  }

  private final Map<String, Group> groups;
  private final long[] labelTimes;
  private final long delayMicros;
  private final long ttlMicros;
  private final int valueCount;
  private final String[][] picked;

  private byte[] currentKey = new byte[0];
  private boolean started;
  private Group current;
  private int next;
  private long lastTs;
  private byte[] bestRow;
  private int bestValuesFrom;
  private long bestTs;
  private String[] bestValues;

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
    this.groups = groups;
    this.labelTimes = labelTimes;
    this.delayMicros = delayMicros;
    this.ttlMicros = ttlMicros;
    this.valueCount = valueCount;
    this.picked = picked;
  }

  /** Takes the next row of the stream. */
  void accept(byte[] row) {
    int keyEnd = CopyText.fieldEnd(row, 0);
    if (!started || !Arrays.equals(row, 0, keyEnd, currentKey, 0, currentKey.length)) {
      finishEntity();
      started = true;
      currentKey = Arrays.copyOfRange(row, 0, keyEnd);
      String key = CopyText.decode(row, 0, keyEnd);
      current = groups.get(key);
      if (current != null) {
        if (current.seen) {
          throw new IllegalStateException(
              "offline rows of entity '"
                  + key
                  + "' arrived in two runs; the stream must hold each entity's rows together");
        }
        current.seen = true;
      }
      next = 0;
      bestRow = null;
      bestValues = null;
      lastTs = Long.MIN_VALUE;
    }
    if (current == null) {
      return;
    }
    int tsEnd = CopyText.fieldEnd(row, keyEnd + 1);
    long ts = CopyText.parseLong(row, keyEnd + 1, tsEnd);
    if (ts < lastTs) {
      throw new IllegalStateException(
          "offline rows of entity '"
              + new String(currentKey, StandardCharsets.UTF_8)
              + "' arrived out of feature_ts order");
    }
    lastTs = ts;
    int[] labels = current.labels;
    long visibleFrom = LabelTime.saturatedAdd(ts, delayMicros);
    while (next < labels.length && labelTimes[labels[next]] < visibleFrom) {
      assign(labels[next++]);
    }
    if (next == labels.length) {
      return;
    }
    bestRow = row;
    bestValuesFrom = tsEnd + 1;
    bestTs = ts;
    bestValues = null;
  }

  /** Ends the stream: the labels of the last entity take its best row. */
  void finish() {
    finishEntity();
  }

  private void finishEntity() {
    if (current == null) {
      return;
    }
    int[] labels = current.labels;
    while (next < labels.length) {
      assign(labels[next++]);
    }
    current = null;
  }

  private void assign(int label) {
    if (bestRow == null || labelTimes[label] >= LabelTime.saturatedAdd(bestTs, ttlMicros)) {
      return;
    }
    if (bestValues == null) {
      bestValues = new String[valueCount];
      int from = bestValuesFrom;
      for (int i = 0; i < valueCount; i++) {
        int to = CopyText.fieldEnd(bestRow, from);
        bestValues[i] = CopyText.decode(bestRow, from, to);
        from = to + 1;
      }
    }
    picked[label] = bestValues;
  }
}
