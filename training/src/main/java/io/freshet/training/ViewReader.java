package io.freshet.training;

import io.freshet.offline.AsOfScan;
import io.freshet.offline.CopyInStream;
import io.freshet.offline.CopyOutStream;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.TrainingSession;
import io.freshet.plan.FeaturePart;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

/**
 * Streams the offline rows of one view that a set of label entities can see, as of a commit time,
 * into an {@link AsOfJoin}.
 *
 * <p>Why this shape, for speed. A per-label lookup ({@code LATERAL ... ORDER BY feature_ts DESC
 * LIMIT 1}) costs one index descent per label, and Feast's range join with {@code ROW_NUMBER} is
 * quadratic per entity. Here each needed row crosses the wire once, in {@code COPY} text, which has
 * no per-row protocol overhead, and is merged in one pass ({@link AsOfJoin}):
 *
 * <ol>
 *   <li>The label entities go into a temporary table through {@code COPY FROM}, each with the only
 *       {@code feature_ts} range its labels can use: from (earliest label − TTL) to (latest label −
 *       availability delay). Rows outside it can never be chosen, so they are not read; the bound
 *       is only pruning, the merge applies delay and TTL exactly.
 *   <li>The rows as of the commit time ({@link OfflineTable#rowsAsOfQuery()}, one version per row;
 *       statements in {@link AsOfScan}) are joined to that table and ordered by {@code entity_key
 *       COLLATE "C", feature_ts, committed_at}: bytewise, so whatever the database's collation
 *       (even a nondeterministic one) each entity's rows come out together. That is the primary
 *       key's own order, since the offline table declares {@code entity_key} with collation {@code
 *       "C"}, so the planner reads the primary key in order and merges the sorted keys into it: no
 *       sort of the rows, however many (on a table created before, with the database's collation,
 *       Postgres sorts them instead; same rows, slower). Java never compares its own string order
 *       with Postgres' for the merge ({@link AsOfJoin} looks entities up by hash).
 *   <li>The read is bounded to the slice's {@link Range}, the bytewise range from its first to its
 *       last entity, so that each slice reads its own contiguous part of the index and not the
 *       whole table.
 * </ol>
 *
 * <p>{@link TrainingSetBuilder} runs several of these at once, each over a disjoint bytewise range
 * of the entities on its own connection, so the server's scan and the client's parsing spread over
 * cores.
 */
final class ViewReader {
  private ViewReader() {}

  /**
   * The bytewise ({@code COLLATE "C"}) range of entity keys a slice holds, both ends included.
   * Slices of one view have disjoint ranges.
   */
  record Range(String first, String last) {}

  /**
   * Orders strings as {@code COLLATE "C"} does in a UTF-8 database: by their UTF-8 bytes, which is
   * code point order (not {@link String#compareTo}'s UTF-16 order).
   */
  static int compareBytewise(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int x = a.codePointAt(i);
      int y = b.codePointAt(j);
      if (x != y) {
        return Integer.compare(x, y);
      }
      i += Character.charCount(x);
      j += Character.charCount(y);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }

  /** One view of a training set: its table, the parts read, and its delay and TTL. */
  record Job(OfflineTable table, List<FeaturePart> parts, long delayMicros, long ttlMicros) {}

  /**
   * Reads the rows of {@code job}'s view that the labels of {@code groups} can see, as of {@code
   * asOfMicros}, and puts each label's values into {@code picked}. Every key of {@code groups} lies
   * in {@code range}.
   */
  static void read(
      String jdbcUrl,
      Job job,
      long asOfMicros,
      Range range,
      Map<String, AsOfJoin.Group> groups,
      long[] labelTimes,
      String[][] picked)
      throws OfflineStoreException {
    try (TrainingSession s = TrainingSession.open(jdbcUrl)) {
      s.begin();
      AsOfScan.prepare(s);
      int keys = writeKeys(s, job, groups, labelTimes);
      if (keys > 0) {
        AsOfScan.analyze(s);
        AsOfJoin join =
            new AsOfJoin(
                groups, labelTimes, job.delayMicros(), job.ttlMicros(), job.parts().size(), picked);
        CopyOutStream out =
            AsOfScan.rowsOut(
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

  /** The query whose rows {@link #read} streams; visible for tests that look at its plan. */
  static String select(Job job, long asOfMicros, Range range) {
    return AsOfScan.select(
        job.table(), job.parts(), LabelTime.fromMicros(asOfMicros), range.first(), range.last());
  }

  /** Writes each entity with its usable feature_ts range; returns how many were written. */
  private static int writeKeys(
      TrainingSession s, Job job, Map<String, AsOfJoin.Group> groups, long[] labelTimes)
      throws OfflineStoreException {
    int written = 0;
    try (CopyInStream in = AsOfScan.keysIn(s)) {
      StringBuilder lines = new StringBuilder();
      for (Map.Entry<String, AsOfJoin.Group> e : groups.entrySet()) {
        int[] labels = e.getValue().labels;
        long earliest = labelTimes[labels[0]];
        long latest = labelTimes[labels[labels.length - 1]];
        // usable iff F + delay <= L and L < F + ttl, i.e. L - ttl < F <= L - delay
        long lo =
            Math.max(
                LabelTime.MIN_MICROS,
                LabelTime.saturatedAdd(LabelTime.saturatedAdd(earliest, -job.ttlMicros()), 1));
        long hi = LabelTime.saturatedAdd(latest, -job.delayMicros());
        if (hi < lo) {
          continue;
        }
        appendKey(lines, e.getKey(), lo, hi);
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

  private static void appendKey(StringBuilder lines, String key, long lo, long hi) {
    CopyText.append(lines, key);
    appendTimestamp(lines.append('\t'), lo);
    appendTimestamp(lines.append('\t'), hi);
    lines.append('\n');
  }

  /**
   * Appends epoch microseconds of the years 1 to 9999 as {@code timestamptz} text, {@code
   * YYYY-MM-DDTHH:MM:SS.ffffffZ}: what {@link java.time.Instant#toString} gives, without its
   * formatter, which is most of the cost of writing the keys.
   */
  static void appendTimestamp(StringBuilder sb, long micros) {
    long day = Math.floorDiv(micros, 86_400_000_000L);
    long inDay = Math.floorMod(micros, 86_400_000_000L);
    LocalDate date = LocalDate.ofEpochDay(day);
    pad(sb, date.getYear(), 4).append('-');
    pad(sb, date.getMonthValue(), 2).append('-');
    pad(sb, date.getDayOfMonth(), 2).append('T');
    long seconds = inDay / 1_000_000;
    pad(sb, seconds / 3600, 2).append(':');
    pad(sb, seconds / 60 % 60, 2).append(':');
    pad(sb, seconds % 60, 2).append('.');
    pad(sb, inDay % 1_000_000, 6).append('Z');
  }

  private static StringBuilder pad(StringBuilder sb, long value, int digits) {
    for (long limit = 10; digits > 1; digits--, limit *= 10) {
      if (value < limit) {
        sb.append('0');
      }
    }
    return sb.append(value);
  }
}
