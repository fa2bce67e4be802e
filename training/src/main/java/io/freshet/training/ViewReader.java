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
 * <p>Why this shape, for speed. Feast's range join with {@code ROW_NUMBER} is quadratic per entity,
 * and reading each entity's whole history reads mostly rows no label can see. Here each needed row
 * crosses the wire once, in {@code COPY} text, which has no per-row protocol overhead, and is
 * merged in one pass ({@link AsOfJoin}):
 *
 * <ol>
 *   <li>The label entities go into a temporary table through {@code COPY FROM}, each with the only
 *       {@code feature_ts} intervals its labels can use: {@code (L − TTL, L − availability delay]}
 *       for each label time {@code L}, merged where they overlap or lie close ({@link #intervals}).
 *       Rows outside them can never be chosen, so they are not read; the intervals are only
 *       pruning, the merge applies delay and TTL exactly. Labels cover a small part of a long
 *       history, so most rows are never touched.
 *   <li>The rows as of the commit time ({@link OfflineTable#rowsAsOfQuery()}, one version per row;
 *       statements in {@link AsOfScan#selectIntervals}) are read with one range scan of the primary
 *       key per interval, entities in bytewise ({@code COLLATE "C"}) order, and come out ordered by
 *       {@code entity_key COLLATE "C", feature_ts, committed_at}: bytewise, so whatever the
 *       database's collation (even a nondeterministic one) each entity's rows come out together.
 *       Postgres only sorts each entity's few rows, incrementally. Java never compares its own
 *       string order with Postgres' for the merge ({@link AsOfJoin} looks entities up by hash).
 *   <li>Each slice holds its own entities, so slices read disjoint parts of the index.
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
   * in {@code range}. {@code joined} learns how many labels each entity with rows had.
   */
  static void read(
      String jdbcUrl,
      Job job,
      long asOfMicros,
      Range range,
      Map<String, AsOfJoin.Group> groups,
      long[] labelTimes,
      String[][] picked,
      java.util.function.LongConsumer joined)
      throws OfflineStoreException {
    try (TrainingSession s = TrainingSession.open(jdbcUrl)) {
      s.begin();
      AsOfScan.prepareIntervals(s);
      int keys = writeIntervals(s, job, groups, labelTimes);
      if (keys > 0) {
        AsOfScan.analyzeIntervals(s);
        AsOfJoin join =
            new AsOfJoin(
                groups, labelTimes, job.delayMicros(), job.ttlMicros(), job.parts().size(), picked);
        join.countInto(joined);
        CopyOutStream out =
            AsOfScan.intervalRowsOut(s, job.table(), job.parts(), LabelTime.fromMicros(asOfMicros));
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
  static String select(Job job, long asOfMicros) {
    return AsOfScan.selectIntervals(job.table(), job.parts(), LabelTime.fromMicros(asOfMicros));
  }

  /**
   * Writes each entity with the feature_ts intervals its labels can use; returns how many entities
   * were written. A label at {@code L} can only take a row with {@code L - ttl < F <= L - delay}
   * (delay and TTL rounded up to µs as the merge rounds them); each entity's labels come in time
   * order, so their intervals do too, and overlapping ones, or ones separated by a gap no wider
   * than one interval, are merged into one (a gap costs a few rows read, an interval an index
   * descent). Reading more rows than the labels need never changes an answer: the merge still
   * applies delay and TTL exactly.
   */
  static int writeIntervals(
      TrainingSession s, Job job, Map<String, AsOfJoin.Group> groups, long[] labelTimes)
      throws OfflineStoreException {
    int written = 0;
    long[] lo = new long[16];
    long[] hi = new long[16];
    try (CopyInStream in = AsOfScan.intervalsIn(s)) {
      StringBuilder lines = new StringBuilder();
      for (Map.Entry<String, AsOfJoin.Group> e : groups.entrySet()) {
        int n = intervals(e.getValue().labels, labelTimes, job, lo, hi);
        if (n < 0) {
          lo = new long[-n];
          hi = new long[-n];
          n = intervals(e.getValue().labels, labelTimes, job, lo, hi);
        }
        if (n == 0) {
          continue;
        }
        CopyText.append(lines, e.getKey());
        appendArray(lines.append('\t'), lo, n);
        appendArray(lines.append('\t'), hi, n);
        lines.append('\n');
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

  /**
   * Puts the merged intervals of one entity's labels (sorted by time) into {@code lo} and {@code
   * hi}; returns how many, or minus the capacity needed if the arrays are too short.
   */
  static int intervals(int[] labels, long[] labelTimes, Job job, long[] lo, long[] hi) {
    long gap = Math.max(0, LabelTime.saturatedAdd(job.ttlMicros(), -job.delayMicros()));
    int n = 0;
    for (int label : labels) {
      long l = labelTimes[label];
      // usable iff F + delay <= L and L < F + ttl, i.e. L - ttl < F <= L - delay
      long from =
          Math.max(
              LabelTime.MIN_MICROS,
              LabelTime.saturatedAdd(LabelTime.saturatedAdd(l, -job.ttlMicros()), 1));
      long to = LabelTime.saturatedAdd(l, -job.delayMicros());
      if (to < from) {
        continue;
      }
      from = exactLow(from);
      to = exactHigh(to);
      if (n > 0 && from <= LabelTime.saturatedAdd(LabelTime.saturatedAdd(hi[n - 1], gap), 1)) {
        hi[n - 1] = Math.max(hi[n - 1], to);
        continue;
      }
      if (n == lo.length) {
        return -labels.length;
      }
      lo[n] = from;
      hi[n] = to;
      n++;
    }
    return n;
  }

  /**
   * A bound at or below {@code from} that the query converts exactly: {@code from} itself within
   * {@link AsOfScan#EXACT_MICROS} of the epoch, else {@link Long#MIN_VALUE} ({@code -infinity}) or
   * the limit. Monotonic, so intervals in order stay in order.
   */
  static long exactLow(long from) {
    return from < -AsOfScan.EXACT_MICROS ? Long.MIN_VALUE : Math.min(from, AsOfScan.EXACT_MICROS);
  }

  /** As {@link #exactLow}, at or above {@code to}: {@link Long#MAX_VALUE} is {@code infinity}. */
  static long exactHigh(long to) {
    return to > AsOfScan.EXACT_MICROS ? Long.MAX_VALUE : Math.max(to, -AsOfScan.EXACT_MICROS);
  }

  /**
   * Appends {@code bigint[]} text, {@code {m1,m2,...}}; the infinities of {@link #exactLow} and
   * {@link #exactHigh} as null, which the query reads as the infinity on its side.
   */
  private static void appendArray(StringBuilder sb, long[] micros, int n) {
    sb.append('{');
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(',');
      }
      long m = micros[i];
      if (m == Long.MIN_VALUE || m == Long.MAX_VALUE) {
        sb.append("NULL");
      } else {
        sb.append(m);
      }
    }
    sb.append('}');
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
