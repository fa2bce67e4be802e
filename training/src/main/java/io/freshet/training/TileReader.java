package io.freshet.training;

import io.freshet.offline.AsOfScan;
import io.freshet.offline.CopyInStream;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.TileHistory;
import io.freshet.offline.TileTable;
import io.freshet.offline.TrainingSession;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import java.util.List;
import java.util.Map;

/**
 * Streams the tile versions of one request-time view that a slice of label entities can use, as of
 * a commit time, into a {@link TileJoin}: the request-time counterpart of {@link ViewReader}, with
 * the same keys table, bytewise ranges and one connection per slice.
 *
 * <p>Each entity's {@code tile_start} range: from (earliest label − tile − longest window − TTL),
 * before which a tile can neither be selected nor be the newest of an unexpired entity, to the
 * latest label's tile boundary for final values, or without bound for as-served ones (a tile
 * starting after {@code L}, from events ahead of the clock, still decides expiry at {@code L} as it
 * did in the gateway). The bound is only pruning; {@link TileJoin} applies the rule exactly.
 */
final class TileReader {
  private TileReader() {}

  /**
   * One request-time view of a training set: its plan, the parts read, and how labels take values.
   *
   * @param firstServedMicros the first instant the view version was served; {@link Long#MAX_VALUE}
   *     if never
   */
  record Job(ViewPlan plan, List<FeaturePart> parts, boolean asServed, long firstServedMicros) {
    TileTable table() {
      return TileTable.of(plan);
    }
  }

  /**
   * Reads the tile versions of {@code job}'s view that the labels of {@code groups} can use, as of
   * {@code asOfMicros}, and puts each label's values into {@code picked}. Every key of {@code
   * groups} lies in {@code range}. {@code joined} learns how many labels each entity with tile
   * versions had.
   */
  static void read(
      String jdbcUrl,
      Job job,
      long asOfMicros,
      ViewReader.Range range,
      Map<String, AsOfJoin.Group> groups,
      long[] labelTimes,
      String[][] picked,
      java.util.function.LongConsumer joined)
      throws OfflineStoreException {
    try (TrainingSession s = TrainingSession.open(jdbcUrl)) {
      s.begin();
      AsOfScan.prepare(s);
      int keys = writeKeys(s, job, groups, labelTimes);
      if (keys > 0) {
        AsOfScan.analyze(s);
        TileJoin join =
            new TileJoin(
                job.plan(),
                groups,
                labelTimes,
                job.asServed(),
                job.firstServedMicros(),
                job.parts(),
                picked);
        join.countInto(joined);
        TileHistory.versionsForKeys(
            s, job.table(), LabelTime.fromMicros(asOfMicros), range.first(), range.last(), join);
        join.finish();
      }
      s.commit();
    }
  }

  private static int writeKeys(
      TrainingSession s, Job job, Map<String, AsOfJoin.Group> groups, long[] labelTimes)
      throws OfflineStoreException {
    ViewPlan plan = job.plan();
    long tile = plan.tileMillis();
    long reachMillis =
        LabelTime.saturatedAdd(
            2 * tile + plan.maxWindowMillis(), LabelTime.ceilMicros(plan.ttl()) / 1000 + 1);
    int written = 0;
    try (CopyInStream in = AsOfScan.keysIn(s)) {
      StringBuilder lines = new StringBuilder();
      for (Map.Entry<String, AsOfJoin.Group> e : groups.entrySet()) {
        int[] labels = e.getValue().labels;
        long earliest = Math.floorDiv(labelTimes[labels[0]], 1000);
        long latest = Math.floorDiv(labelTimes[labels[labels.length - 1]], 1000);
        long lo =
            Math.max(
                LabelTime.MIN_MICROS,
                LabelTime.saturatedMultiply(LabelTime.saturatedAdd(earliest, -reachMillis), 1000));
        long hi =
            job.asServed()
                ? LabelTime.MAX_MICROS - 1
                : LabelTime.saturatedMultiply(Math.floorDiv(latest, tile) * tile, 1000);
        if (hi < lo) {
          continue;
        }
        CopyText.append(lines, e.getKey());
        lines.append('\t').append(LabelTime.fromMicros(lo));
        lines.append('\t').append(LabelTime.fromMicros(hi)).append('\n');
        written++;
        if (lines.length() >= 1 << 16) {
          in.write(lines);
        }
      }
      in.write(lines);
      in.end();
    }
    return written;
  }
}
