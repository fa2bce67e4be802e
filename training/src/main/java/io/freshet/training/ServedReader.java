package io.freshet.training;

import io.freshet.offline.AsOfScan;
import io.freshet.offline.CopyInStream;
import io.freshet.offline.CopyOutStream;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.ServedRows;
import io.freshet.offline.TrainingSession;
import io.freshet.plan.FeaturePart;
import java.util.List;
import java.util.Map;

/**
 * Streams the row versions of one window-end view that the online table served, for a slice of
 * label entities, into a {@link ServedJoin}: the as-served counterpart of {@link ViewReader}, with
 * the same keys table, bytewise ranges and one connection per slice. Run after {@link ViewReader}
 * on the same labels: labels from the view version's first served instant on are reset to null and
 * then take what the online table held at their instant; earlier ones keep their final values.
 */
final class ServedReader {
  private ServedReader() {}

  /**
   * One window-end view of an as-served training set.
   *
   * @param ttlMicros the view's TTL, rounded up to µs
   * @param firstServedMicros the first instant the view version was served; {@link Long#MAX_VALUE}
   *     if never
   */
  record Job(OfflineTable table, List<FeaturePart> parts, long ttlMicros, long firstServedMicros) {}

  /**
   * Puts the as-served values of the labels of {@code groups} from {@code job}'s first served
   * instant on into {@code picked}, as of {@code asOfMicros}. Every key of {@code groups} lies in
   * {@code range}.
   */
  static void read(
      String jdbcUrl,
      Job job,
      long asOfMicros,
      ViewReader.Range range,
      Map<String, AsOfJoin.Group> groups,
      long[] labelTimes,
      String[][] picked)
      throws OfflineStoreException {
    if (job.firstServedMicros() == Long.MAX_VALUE) {
      return;
    }
    for (AsOfJoin.Group g : groups.values()) {
      for (int label : g.labels) {
        if (labelTimes[label] >= job.firstServedMicros()) {
          picked[label] = null;
        }
      }
    }
    try (TrainingSession s = TrainingSession.open(jdbcUrl)) {
      s.begin();
      AsOfScan.prepare(s);
      int keys = writeKeys(s, job, groups, labelTimes);
      if (keys > 0) {
        AsOfScan.analyze(s);
        ServedJoin join =
            new ServedJoin(
                groups,
                labelTimes,
                job.ttlMicros(),
                job.firstServedMicros(),
                job.parts().size(),
                picked);
        CopyOutStream out =
            ServedRows.rowsOut(
                s,
                job.table(),
                job.parts(),
                LabelTime.fromMicros(asOfMicros),
                range.first(),
                range.last());
        byte[] row;
        while ((row = out.readRow()) != null) {
          join.accept(row);
        }
        join.finish();
      }
      s.commit();
    }
  }

  /**
   * Writes each entity with labels from the first served instant on, with its bounds: {@code lo}
   * the least feature_ts a row must have to be unexpired at its earliest such label, {@code hi} the
   * latest visible_at any of its labels can see. Returns how many were written.
   */
  private static int writeKeys(
      TrainingSession s, Job job, Map<String, AsOfJoin.Group> groups, long[] labelTimes)
      throws OfflineStoreException {
    int written = 0;
    try (CopyInStream in = AsOfScan.keysIn(s)) {
      StringBuilder lines = new StringBuilder();
      for (Map.Entry<String, AsOfJoin.Group> e : groups.entrySet()) {
        int[] labels = e.getValue().labels;
        long latest = labelTimes[labels[labels.length - 1]];
        if (latest < job.firstServedMicros()) {
          continue;
        }
        long earliest = latest;
        for (int label : labels) {
          if (labelTimes[label] >= job.firstServedMicros()) {
            earliest = labelTimes[label];
            break;
          }
        }
        // unexpired at L iff L < F + ttl, i.e. F > L - ttl
        long lo =
            Math.max(
                LabelTime.MIN_MICROS,
                LabelTime.saturatedAdd(LabelTime.saturatedAdd(earliest, -job.ttlMicros()), 1));
        CopyText.append(lines, e.getKey());
        lines.append('\t').append(LabelTime.fromMicros(lo));
        lines.append('\t').append(LabelTime.fromMicros(latest)).append('\n');
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
