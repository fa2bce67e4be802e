package io.freshet.offline;

import io.freshet.plan.ViewPlan;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * How fresh a view version's offline data is and which of its events were rejected, read cheaply
 * for the gateway's console, which asks every few seconds.
 *
 * <p>Freshness. The newest commit comes from the commit markers, through their index {@code
 * (target, committed_at)}: one index descent. The newest window end (of a request-time view: the
 * newest tile's end) is {@code max(feature_ts)} of the view's current rows, which no index orders;
 * it is read under a statement timeout of {@link #FEATURE_TS_BUDGET}, and on a table too large to
 * read within it the answer has no newest window end and a note saying so. A table-sourced view's
 * are the high-water mark and end of its last load ({@link TableLoads}, read along its primary
 * key).
 *
 * <p>Rejected events. The counts by kind and reason read the view's rows along the primary key's
 * prefix ({@code view_name}), never other views'; the newest events walk the index {@code
 * rejected_events__recent (view_name, received_at)} backwards; all of it within {@link
 * #REJECTED_BUDGET}. Reasons and payloads are cut to {@link #TEXT_LIMIT} characters.
 */
public final class ViewHealth {
  /** How long the search for the newest window end may run. */
  public static final Duration FEATURE_TS_BUDGET = Duration.ofSeconds(2);

  /**
   * How long the reads of a view's rejected events may run together; Postgres cancels them after
   * that (a view with millions of rejected events), and the error says so.
   */
  public static final Duration REJECTED_BUDGET = Duration.ofSeconds(4);

  /** The characters of a reason or payload returned at most. */
  public static final int TEXT_LIMIT = 2000;

  /** The (kind, reason) groups returned at most, greatest first. */
  public static final int REASON_LIMIT = 20;

  private static final String APPLICATION_NAME = "freshet-console";
  private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(10);
  private static final String QUERY_CANCELED = "57014";

  private ViewHealth() {}

  /**
   * The newest data of a view version.
   *
   * @param table the table read, schema-qualified
   * @param newestFeatureTs the newest window end, tile end or table timestamp; null when nothing is
   *     stored or it could not be found within the budget ({@code note} says which)
   * @param newestCommitAt the newest commit (of a table-sourced view: the end of its last load)
   * @param rowsInNewestCommit the rows that commit (or load) held
   * @param note what to know about these figures, or null
   */
  public record Freshness(
      String table,
      Instant newestFeatureTs,
      Instant newestCommitAt,
      Long rowsInNewestCommit,
      String note) {}

  /** Rejected events of one kind and reason. */
  public record ReasonCount(String kind, String reason, long count) {}

  /** One rejected event; payload and event time may be null. */
  public record Sample(
      String kind,
      String reason,
      String origin,
      String payload,
      Instant eventTs,
      Instant receivedAt) {}

  /**
   * A view's rejected events.
   *
   * @param total all of them
   * @param byReason counts by kind and reason, greatest first, at most {@link #REASON_LIMIT}
   * @param samples the newest, newest first
   */
  public record Rejected(long total, List<ReasonCount> byReason, List<Sample> samples) {
    public Rejected {
      byReason = List.copyOf(byReason);
      samples = List.copyOf(samples);
    }
  }

  /**
   * Reads the freshness of {@code plan}'s version in the Postgres at {@code jdbcUrl}.
   *
   * @throws OfflineStoreException when Postgres cannot be reached or refuses a query
   */
  public static Freshness freshness(String jdbcUrl, ViewPlan plan) {
    try (Connection c = PostgresSessions.open(jdbcUrl, APPLICATION_NAME, SOCKET_TIMEOUT)) {
      return freshness(c, plan);
    } catch (SQLException e) {
      throw OfflineStoreException.of(e);
    }
  }

  /**
   * Reads the rejected events of {@code view} in the Postgres at {@code jdbcUrl}.
   *
   * @param sampleLimit how many of the newest events to return
   * @throws OfflineStoreException when Postgres cannot be reached or refuses a query
   */
  public static Rejected rejected(String jdbcUrl, String view, int sampleLimit) {
    try (Connection c = PostgresSessions.open(jdbcUrl, APPLICATION_NAME, SOCKET_TIMEOUT)) {
      return rejected(c, view, sampleLimit);
    } catch (SQLException e) {
      throw OfflineStoreException.of(e);
    }
  }

  static Freshness freshness(Connection c, ViewPlan plan) throws SQLException {
    if (plan.tableSourced()) {
      return tableFreshness(c, plan);
    }
    String tableName;
    String qualified;
    String newestEnd;
    if (plan.requestTime()) {
      TileTable tiles = TileTable.of(plan);
      tableName = tiles.tableName();
      qualified = tiles.qualifiedName();
      newestEnd =
          "SELECT max(tile_start) + "
              + plan.tileMillis()
              + " * interval '1 millisecond' FROM "
              + qualified;
    } else {
      OfflineTable table = OfflineTable.of(plan);
      tableName = table.tableName();
      qualified = table.qualifiedName();
      newestEnd = "SELECT max(feature_ts) FROM " + qualified + " WHERE superseded_at IS NULL";
    }
    if (!exists(c, qualified)) {
      return new Freshness(
          qualified,
          null,
          null,
          null,
          "the offline table does not exist yet: no job has committed rows of this version");
    }
    Instant commitAt = null;
    Long commitRows = null;
    if (exists(c, SinkCommits.TABLE)) {
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT committed_at, sum(row_count) FROM "
                  + SinkCommits.TABLE
                  + " WHERE target = ? AND committed_at = (SELECT max(committed_at) FROM "
                  + SinkCommits.TABLE
                  + " WHERE target = ?) GROUP BY committed_at")) {
        s.setString(1, tableName);
        s.setString(2, tableName);
        try (ResultSet rs = s.executeQuery()) {
          if (rs.next()) {
            commitAt = rs.getTimestamp(1).toInstant();
            commitRows = rs.getLong(2);
          }
        }
      }
    }
    Instant newest = null;
    String note = commitAt == null ? "no commit marker (none yet, or all purged)" : null;
    try {
      newest =
          Transactions.inTransaction(
              c,
              () -> {
                try (Statement s = c.createStatement()) {
                  s.execute("SET LOCAL statement_timeout = " + FEATURE_TS_BUDGET.toMillis());
                  try (ResultSet rs = s.executeQuery(newestEnd)) {
                    rs.next();
                    Timestamp t = rs.getTimestamp(1);
                    return t == null ? null : t.toInstant();
                  }
                }
              });
    } catch (SQLException e) {
      if (!QUERY_CANCELED.equals(e.getSQLState())) {
        throw e;
      }
      note =
          "the table is too large to find its newest window end within "
              + FEATURE_TS_BUDGET.toSeconds()
              + " s (no index orders feature_ts); the newest commit is from the commit markers";
    }
    return new Freshness(qualified, newest, commitAt, commitRows, note);
  }

  private static Freshness tableFreshness(Connection c, ViewPlan plan) throws SQLException {
    OfflineTable table = OfflineTable.of(plan);
    if (!exists(c, TableLoads.TABLE)) {
      return new Freshness(
          table.qualifiedName(), null, null, null, "never loaded: run freshet materialize");
    }
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT loaded_to, finished_at, row_count FROM "
                + TableLoads.TABLE
                + " WHERE view_name = ? AND version_tag = ?"
                + " ORDER BY loaded_to DESC, started_at DESC LIMIT 1")) {
      s.setString(1, plan.name());
      s.setString(2, plan.versionTag());
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          return new Freshness(
              table.qualifiedName(), null, null, null, "never loaded: run freshet materialize");
        }
        return new Freshness(
            table.qualifiedName(),
            Instant.ofEpochMilli(rs.getLong(1)),
            rs.getTimestamp(2).toInstant(),
            rs.getLong(3),
            "loaded by freshet materialize: the newest timestamp loaded and the end of that load");
      }
    }
  }

  static Rejected rejected(Connection c, String view, int sampleLimit) throws SQLException {
    if (!exists(c, RejectedEvents.TABLE)) {
      return new Rejected(0, List.of(), List.of());
    }
    return Transactions.inTransaction(
        c,
        () -> {
          try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL statement_timeout = " + REJECTED_BUDGET.toMillis());
          }
          return readRejected(c, view, sampleLimit);
        });
  }

  private static Rejected readRejected(Connection c, String view, int sampleLimit)
      throws SQLException {
    long total;
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT count(*) FROM " + RejectedEvents.TABLE + " WHERE view_name = ?")) {
      s.setString(1, view);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        total = rs.getLong(1);
      }
    }
    List<ReasonCount> byReason = new ArrayList<>();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT kind, left(reason, "
                + TEXT_LIMIT
                + "), count(*) FROM "
                + RejectedEvents.TABLE
                + " WHERE view_name = ? GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT "
                + REASON_LIMIT)) {
      s.setString(1, view);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          byReason.add(new ReasonCount(rs.getString(1), rs.getString(2), rs.getLong(3)));
        }
      }
    }
    List<Sample> samples = new ArrayList<>();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT kind, left(reason, "
                + TEXT_LIMIT
                + "), origin, left(payload, "
                + TEXT_LIMIT
                + "), event_ts, received_at FROM "
                + RejectedEvents.TABLE
                + " WHERE view_name = ? ORDER BY received_at DESC, kind, origin LIMIT ?")) {
      s.setString(1, view);
      s.setInt(2, sampleLimit);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          Timestamp eventTs = rs.getTimestamp(5);
          samples.add(
              new Sample(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  eventTs == null ? null : eventTs.toInstant(),
                  rs.getTimestamp(6).toInstant()));
        }
      }
    }
    return new Rejected(total, byReason, samples);
  }

  private static boolean exists(Connection c, String qualifiedName) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      s.setString(1, qualifiedName);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }
}
