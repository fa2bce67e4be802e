package io.freshet.offline;

import io.freshet.plan.FeaturePart;
import java.time.Instant;
import java.util.List;

/**
 * The statements of a bulk point-in-time read, in {@code COPY} text: the rows of one view as of a
 * commit time that a set of entities can use, each entity with the only {@code feature_ts} range
 * its labels can see. In one transaction:
 *
 * <ol>
 *   <li>{@link #prepareStatements()}: a temporary table of entities with their range, dropped at
 *       commit;
 *   <li>{@link #copyKeysIn()}: {@code COPY FROM STDIN} of lines {@code entity_key \t lo \t hi}
 *       ({@code timestamptz} text, both ends included), then {@link #analyzeKeys()};
 *   <li>{@link #copyRowsOut}: {@code COPY TO STDOUT} of entity_key, feature_ts in epoch
 *       microseconds and the chosen parts, ordered by {@code entity_key COLLATE "C", feature_ts,
 *       committed_at}: the primary key's own order (see {@link OfflineTable}), so Postgres reads it
 *       in order instead of sorting.
 * </ol>
 *
 * <p>{@code COPY} takes no parameters, so the commit time and the bounds of the bytewise key range
 * are written into the statement here, as constants ({@link #literal}). The methods that take a
 * {@link TrainingSession} run these statements and streams in it.
 */
public final class AsOfScan {
  /** The temporary table of entities and their ranges. */
  public static final String KEYS_TABLE = "freshet_training_keys";

  private AsOfScan() {}

  /** Creates the temporary keys table, and gives the sort of the join its memory. */
  public static List<String> prepareStatements() {
    return List.of(
        "CREATE TEMPORARY TABLE "
            + KEYS_TABLE
            + " (entity_key text NOT NULL, lo timestamptz NOT NULL, hi timestamptz NOT NULL)"
            + " ON COMMIT DROP",
        "SET LOCAL work_mem = '64MB'",
        // compiling the plan of these streaming queries costs more than it saves
        "SET LOCAL jit = off");
  }

  /** Fills the keys table from {@code COPY} text. */
  public static String copyKeysIn() {
    return "COPY " + KEYS_TABLE + " FROM STDIN";
  }

  /** Gives the planner the keys table's size. */
  public static String analyzeKeys() {
    return "ANALYZE " + KEYS_TABLE;
  }

  /**
   * The rows of {@code table} as of {@code asOf} for the entities of the keys table within their
   * ranges, whose keys lie in the bytewise range {@code [first, last]}.
   */
  public static String select(
      OfflineTable table, List<FeaturePart> parts, Instant asOf, String first, String last) {
    String at = "'" + asOf + "'::timestamptz";
    StringBuilder sb =
        new StringBuilder(
            "SELECT r.entity_key, (extract(epoch FROM r.feature_ts) * 1000000)::bigint");
    for (FeaturePart p : parts) {
      sb.append(", r.\"").append(p.name().replace("\"", "\"\"")).append('"');
    }
    sb.append(" FROM (")
        .append(table.rowsAsOfQuery().replace("?", at))
        .append(") r JOIN ")
        .append(KEYS_TABLE)
        .append(" k ON k.entity_key = r.entity_key")
        .append(" AND r.feature_ts >= k.lo AND r.feature_ts <= k.hi")
        .append(" WHERE r.entity_key COLLATE \"C\" >= ")
        .append(literal(first))
        .append(" AND r.entity_key COLLATE \"C\" <= ")
        .append(literal(last))
        .append(" ORDER BY r.entity_key COLLATE \"C\", r.feature_ts, r.committed_at");
    return sb.toString();
  }

  /**
   * The temporary table of entities, each with the {@code feature_ts} intervals its labels can use:
   * {@code lo[i]} to {@code hi[i]}, both ends included, disjoint and in increasing order, in epoch
   * microseconds (integers cost the server far less to read than timestamp text). A bound must lie
   * within {@link #EXACT_MICROS} of the epoch, where the conversion to {@code timestamptz} is
   * exact; beyond it a null {@code lo} stands for {@code -infinity} and a null {@code hi} for
   * {@code infinity}.
   */
  public static final String INTERVALS_TABLE = "freshet_training_intervals";

  /**
   * The largest distance from the epoch, in microseconds, at which a bound of the intervals table
   * is converted exactly: {@code n * interval '1 microsecond'} multiplies in double precision.
   */
  public static final long EXACT_MICROS = 1L << 52;

  /** Creates the temporary intervals table, and gives the sort of the join its memory. */
  public static List<String> prepareIntervalsStatements() {
    return List.of(
        "CREATE TEMPORARY TABLE "
            + INTERVALS_TABLE
            + " (entity_key text COLLATE \"C\" NOT NULL, lo bigint[] NOT NULL,"
            + " hi bigint[] NOT NULL) ON COMMIT DROP",
        "SET LOCAL work_mem = '64MB'",
        "SET LOCAL jit = off");
  }

  /** Fills the intervals table from {@code COPY} text. */
  public static String copyIntervalsIn() {
    return "COPY " + INTERVALS_TABLE + " FROM STDIN";
  }

  /**
   * The rows of {@code table} as of {@code asOf} whose {@code feature_ts} lies in one of the
   * intervals of their entity in the intervals table: entity_key, feature_ts in epoch microseconds
   * and the chosen parts, ordered by {@code entity_key COLLATE "C", feature_ts, committed_at}.
   *
   * <p>Each interval is one range scan of the primary key ({@code entity_key, feature_ts}), so the
   * rows no interval covers are never touched. The subquery is evaluated per interval ({@code
   * OFFSET 0} keeps the planner from flattening it into a scan of the whole table). The entities
   * are taken in key order and each entity's intervals are disjoint and ascending, so the rows come
   * out ordered by entity already: what is left to sort is each entity's few rows, which the
   * planner does incrementally, never the whole stream.
   */
  public static String selectIntervals(OfflineTable table, List<FeaturePart> parts, Instant asOf) {
    String at = "'" + asOf + "'::timestamptz";
    StringBuilder sb =
        new StringBuilder(
            "SELECT r.entity_key, (extract(epoch FROM r.feature_ts) * 1000000)::bigint");
    for (FeaturePart p : parts) {
      sb.append(", r.\"").append(p.name().replace("\"", "\"\"")).append('"');
    }
    sb.append(" FROM (SELECT * FROM ")
        .append(INTERVALS_TABLE)
        .append(
            " ORDER BY entity_key) k CROSS JOIN LATERAL unnest(k.lo, k.hi) WITH ORDINALITY AS i(lo, hi, n)")
        .append(" CROSS JOIN LATERAL (SELECT * FROM (")
        .append(table.rowsAsOfQuery().replace("?", at))
        .append(") v WHERE v.entity_key = k.entity_key")
        .append(" AND v.feature_ts >= ")
        .append(micros("i.lo", "-infinity"))
        .append(" AND v.feature_ts <= ")
        .append(micros("i.hi", "infinity"))
        .append(" OFFSET 0) r")
        .append(" ORDER BY k.entity_key, i.n, r.feature_ts, r.committed_at");
    return sb.toString();
  }

  /** The {@code timestamptz} of epoch microseconds {@code column}, {@code ifNull} when null. */
  private static String micros(String column, String ifNull) {
    return "coalesce(timestamptz 'epoch' + "
        + column
        + " * interval '1 microsecond', timestamptz '"
        + ifNull
        + "')";
  }

  /** Runs {@link #prepareIntervalsStatements()} in {@code s}, whose transaction must have begun. */
  public static void prepareIntervals(TrainingSession s) throws OfflineStoreException {
    for (String sql : prepareIntervalsStatements()) {
      s.execute(sql);
    }
  }

  /** Starts filling the intervals table ({@link #copyIntervalsIn()}). */
  public static CopyInStream intervalsIn(TrainingSession s) throws OfflineStoreException {
    return s.copyIn(copyIntervalsIn());
  }

  /** Gives the planner the intervals table's size. */
  public static void analyzeIntervals(TrainingSession s) throws OfflineStoreException {
    s.execute("ANALYZE " + INTERVALS_TABLE);
  }

  /** Streams the rows of {@link #selectIntervals} from {@code s}. */
  public static CopyOutStream intervalRowsOut(
      TrainingSession s, OfflineTable table, List<FeaturePart> parts, Instant asOf)
      throws OfflineStoreException {
    return s.copyOut("COPY (" + selectIntervals(table, parts, asOf) + ") TO STDOUT");
  }

  /** {@link #select} as {@code COPY ... TO STDOUT}. */
  public static String copyRowsOut(
      OfflineTable table, List<FeaturePart> parts, Instant asOf, String first, String last) {
    return "COPY (" + select(table, parts, asOf, first, last) + ") TO STDOUT";
  }

  /** Runs {@link #prepareStatements()} in {@code s}, whose transaction must have begun. */
  public static void prepare(TrainingSession s) throws OfflineStoreException {
    for (String sql : prepareStatements()) {
      s.execute(sql);
    }
  }

  /** Starts filling the keys table ({@link #copyKeysIn()}). */
  public static CopyInStream keysIn(TrainingSession s) throws OfflineStoreException {
    return s.copyIn(copyKeysIn());
  }

  /** Runs {@link #analyzeKeys()} in {@code s}. */
  public static void analyze(TrainingSession s) throws OfflineStoreException {
    s.execute(analyzeKeys());
  }

  /** Streams the rows of {@link #copyRowsOut} from {@code s}. */
  public static CopyOutStream rowsOut(
      TrainingSession s,
      OfflineTable table,
      List<FeaturePart> parts,
      Instant asOf,
      String first,
      String last)
      throws OfflineStoreException {
    return s.copyOut(copyRowsOut(table, parts, asOf, first, last));
  }

  /**
   * A string constant, whatever {@code standard_conforming_strings} says: {@code E'...'} with
   * backslash and quote doubled.
   */
  public static String literal(String value) {
    StringBuilder sb = new StringBuilder(value.length() + 3).append("E'");
    for (int i = 0; i < value.length(); i++) {
      char ch = value.charAt(i);
      if (ch == '\\' || ch == '\'') {
        sb.append(ch);
      }
      sb.append(ch);
    }
    return sb.append('\'').toString();
  }
}
