package io.freshet.training;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * The sweep {@link AsOfJoin} and {@link ServedJoin} share: a stream of {@link CopyText} rows {@code
 * entity_key, ...}, each entity's rows contiguous and in time order, merged with the labels of each
 * entity ({@link AsOfJoin.Group}, sorted by time) in one pass. It finds each entity's labels by
 * hash lookup, checks that each entity arrives in one run and in order, keeps the entity's best row
 * so far and decodes that row's values only if some label takes them. A subclass reads the
 * timestamps of each row, says which labels come before it and which row is best, and what a label
 * takes. Not thread-safe; one instance per stream.
 */
abstract class EntitySweep {
  private final Map<String, AsOfJoin.Group> groups;
  private final long[] labelTimes;
  private final int valueCount;
  private final String rowKind;
  private final String orderColumn;

  private byte[] currentKey = new byte[0];
  private boolean started;
  private AsOfJoin.Group current;
  private int next;
  private long lastOrder;
  private byte[] bestRow;
  private int bestValuesFrom;
  private long bestTs;
  private String[] bestValues;
  private LongConsumer entityDone = n -> {};

  /**
   * @param groups the labels of every entity this stream may hold, by entity key
   * @param labelTimes every label's time in epoch µs, by label index
   * @param valueCount how many values follow the timestamps in each row
   * @param rowKind what the rows are, in messages: "offline", "served"
   * @param orderColumn the column each entity's rows are ordered by, in messages
   */
  EntitySweep(
      Map<String, AsOfJoin.Group> groups,
      long[] labelTimes,
      int valueCount,
      String rowKind,
      String orderColumn) {
    this.groups = groups;
    this.labelTimes = labelTimes;
    this.valueCount = valueCount;
    this.rowKind = rowKind;
    this.orderColumn = orderColumn;
  }

  /** Takes the next row of the stream. */
  final void accept(byte[] row) {
    int keyEnd = CopyText.fieldEnd(row, 0);
    if (!started || !Arrays.equals(row, 0, keyEnd, currentKey, 0, currentKey.length)) {
      finishEntity();
      started = true;
      currentKey = Arrays.copyOfRange(row, 0, keyEnd);
      String key = CopyText.decode(row, 0, keyEnd);
      current = groups.get(key);
      if (current != null && !firstRun(key, current)) {
        throw new IllegalStateException(
            rowKind
                + " rows of entity '"
                + key
                + "' arrived in two runs; the stream must hold each entity's rows together");
      }
      next = 0;
      bestRow = null;
      bestValues = null;
      lastOrder = Long.MIN_VALUE;
    }
    if (current == null) {
      return;
    }
    acceptRow(row, keyEnd + 1);
  }

  /** Tells {@code counter} how many labels each entity had once they took their values. */
  final void countInto(LongConsumer counter) {
    entityDone = counter;
  }

  /** Ends the stream: the labels of the last entity take its best row. */
  final void finish() {
    finishEntity();
  }

  /** Whether this is the first run of rows of the entity {@code key}; records that it was seen. */
  abstract boolean firstRun(String key, AsOfJoin.Group group);

  /**
   * Takes a row of an entity with labels: reads its timestamps from {@code from} on, calls {@link
   * #inOrder}, {@link #assignBefore} and {@link #best} as its rule says.
   */
  abstract void acceptRow(byte[] row, int from);

  /**
   * What label {@code label} takes, given the best row so far ({@link #hasBest}, {@link #bestTs}).
   */
  abstract void assign(int label);

  /** Fails unless the rows of the current entity arrive in {@code order} order. */
  final void inOrder(long order) {
    if (order < lastOrder) {
      throw new IllegalStateException(
          rowKind
              + " rows of entity '"
              + new String(currentKey, StandardCharsets.UTF_8)
              + "' arrived out of "
              + orderColumn
              + " order");
    }
    lastOrder = order;
  }

  /**
   * Assigns the current entity's labels with a time before {@code bound}; false if none is left.
   */
  final boolean assignBefore(long bound) {
    int[] labels = current.labels;
    while (next < labels.length && labelTimes[labels[next]] < bound) {
      assign(labels[next++]);
    }
    return next < labels.length;
  }

  /** Makes {@code row}, with feature_ts {@code ts} and values from {@code valuesFrom}, the best. */
  final void best(byte[] row, int valuesFrom, long ts) {
    bestRow = row;
    bestValuesFrom = valuesFrom;
    bestTs = ts;
    bestValues = null;
  }

  final boolean hasBest() {
    return bestRow != null;
  }

  final long bestTs() {
    return bestTs;
  }

  final long labelTime(int label) {
    return labelTimes[label];
  }

  /** The values of the best row, decoded once. */
  final String[] bestValues() {
    if (bestValues == null) {
      bestValues = new String[valueCount];
      int from = bestValuesFrom;
      for (int i = 0; i < valueCount; i++) {
        int to = CopyText.fieldEnd(bestRow, from);
        bestValues[i] = CopyText.decode(bestRow, from, to);
        from = to + 1;
      }
    }
    return bestValues;
  }

  private void finishEntity() {
    if (current == null) {
      return;
    }
    int[] labels = current.labels;
    while (next < labels.length) {
      assign(labels[next++]);
    }
    entityDone.accept(labels.length);
    current = null;
  }
}
