package io.freshet.training;

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
 * gateway, judging the row at the instant of its read on the online store's clock (the instant it
 * reports, a label's {@code L}), reports it OUTSIDE_MAX_AGE or, once Redis dropped it, not found.
 * The caller resets those labels to null before the stream, so that a label whose entity has no
 * served row stays null; earlier labels keep their final values. Not thread-safe; one instance per
 * stream.
 */
final class ServedJoin extends EntitySweep {
  private final long ttlMicros;
  private final long firstServedMicros;
  private final String[][] picked;
  private final Set<String> seen = new HashSet<>();

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
    super(groups, labelTimes, valueCount, "served", "visible_at");
    this.ttlMicros = ttlMicros;
    this.firstServedMicros = firstServedMicros;
    this.picked = picked;
  }

  @Override
  boolean firstRun(String key, AsOfJoin.Group group) {
    return seen.add(key);
  }

  @Override
  void acceptRow(byte[] row, int from) {
    int visibleEnd = CopyText.fieldEnd(row, from);
    long visible = CopyText.parseLong(row, from, visibleEnd);
    int tsEnd = CopyText.fieldEnd(row, visibleEnd + 1);
    long ts = CopyText.parseLong(row, visibleEnd + 1, tsEnd);
    inOrder(visible);
    assignBefore(visible);
    if (!hasBest() || ts >= bestTs()) {
      best(row, tsEnd + 1, ts);
    }
  }

  @Override
  void assign(int label) {
    long l = labelTime(label);
    if (l < firstServedMicros) {
      return;
    }
    if (!hasBest() || l >= LabelTime.saturatedAdd(bestTs(), ttlMicros)) {
      picked[label] = null;
      return;
    }
    picked[label] = bestValues();
  }
}
