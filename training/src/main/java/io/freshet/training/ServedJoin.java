package io.freshet.training;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The as-served merge of one window-end view: the row versions the online table served, streamed
 * once in the order they became visible, and the labels of each entity visited once, in time order.
 *
 * <p>Rows arrive as {@link CopyText} lines {@code entity_key, visible_at (epoch µs), feature_ts
 * (epoch µs), value...} ({@code io.freshet.offline.ServedRows}), each entity's rows contiguous and
 * in {@code visible_at} order. For a label at {@code L} from the view version's first served
 * instant on, the answer is what the online table held at {@code L}: among the entity's rows with
 * {@code visible_at <= L}, the one with the greatest {@code feature_ts}, the latest visible on a
 * tie (the online write script's newest-wins rule: an equal feature_ts with other values is a later
 * update of the window); null if there is none or if {@code L >= feature_ts + ttl}, where the
 * gateway reports the row OUTSIDE_MAX_AGE and Redis drops it. The caller resets those labels to
 * null before the stream, so that a label whose entity has no served row stays null; earlier labels
 * keep their final values. Not thread-safe; one instance per stream.
 */
final class ServedJoin {
  private final Map<String, AsOfJoin.Group> groups;
  private final long[] labelTimes;
  private final long ttlMicros;
  private final long firstServedMicros;
  private final int valueCount;
  private final String[][] picked;
  private final Set<String> seen = new HashSet<>();

  private byte[] currentKey = new byte[0];
  private boolean started;
  private AsOfJoin.Group current;
  private int next;
  private long lastVisible;
  private byte[] bestRow;
  private int bestValuesFrom;
  private long bestTs;
  private String[] bestValues;

  /**
   * @param groups the labels of every entity this stream may hold, by entity key
   * @param labelTimes every label's time in epoch µs, by label index
   * @param ttlMicros the view's TTL, rounded up to µs
   * @param firstServedMicros the first instant the view version was served; labels before it are
   *     left untouched
   * @param valueCount how many values follow the two timestamps in each row
   * @param picked where the values for label {@code i} go, as {@code picked[i]}
   */
  ServedJoin(
      Map<String, AsOfJoin.Group> groups,
      long[] labelTimes,
      long ttlMicros,
      long firstServedMicros,
      int valueCount,
      String[][] picked) {
    this.groups = groups;
    this.labelTimes = labelTimes;
    this.ttlMicros = ttlMicros;
    this.firstServedMicros = firstServedMicros;
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
        if (!seen.add(key)) {
          throw new IllegalStateException(
              "served rows of entity '"
                  + key
                  + "' arrived in two runs; the stream must hold each entity's rows together");
        }
      }
      next = 0;
      bestRow = null;
      bestValues = null;
      lastVisible = Long.MIN_VALUE;
    }
    if (current == null) {
      return;
    }
    int visibleEnd = CopyText.fieldEnd(row, keyEnd + 1);
    long visible = CopyText.parseLong(row, keyEnd + 1, visibleEnd);
    int tsEnd = CopyText.fieldEnd(row, visibleEnd + 1);
    long ts = CopyText.parseLong(row, visibleEnd + 1, tsEnd);
    if (visible < lastVisible) {
      throw new IllegalStateException(
          "served rows of entity '"
              + new String(currentKey, StandardCharsets.UTF_8)
              + "' arrived out of visible_at order");
    }
    lastVisible = visible;
    int[] labels = current.labels;
    while (next < labels.length && labelTimes[labels[next]] < visible) {
      assign(labels[next++]);
    }
    if (bestRow == null || ts >= bestTs) {
      bestRow = row;
      bestValuesFrom = tsEnd + 1;
      bestTs = ts;
      bestValues = null;
    }
  }

  /** Ends the stream: the labels of the last entity take what was served last. */
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
    long l = labelTimes[label];
    if (l < firstServedMicros) {
      return;
    }
    if (bestRow == null || l >= LabelTime.saturatedAdd(bestTs, ttlMicros)) {
      picked[label] = null;
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
