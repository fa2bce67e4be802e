package io.freshet.testing;

import io.freshet.testing.UserActivityOracle.Ev;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Generated {@code user_activity} events as rows of a Postgres table {@code events}: out of order
 * within the watermark bound, some far behind (late on a stream), and malformed rows (no key,
 * revenue of a purchase that is not a number, an absurd or missing event time) each with the reason
 * the view's decoder gives. {@code revenue} is {@code jsonb} so that a malformed one can be stored;
 * {@code event_ts} is epoch milliseconds.
 */
public final class UserActivityEventTable {
  /** 2026-01-01T00:00:00Z, the first generated event time. */
  public static final long T0 = 1_767_225_600_000L;

  private static final long BOUND = 10 * 60_000L;

  /** A row: a valid event, or a malformed one with the reason it must be rejected. */
  public record Generated(
      String user, Long ts, String type, String revenueJson, Ev event, String reason) {}

  private UserActivityEventTable() {}

  /** {@code n} rows, about one in fifteen malformed. */
  public static List<Generated> generate(Random r, int n) {
    List<Generated> out = new ArrayList<>();
    long t = T0;
    for (int i = 0; i < n; i++) {
      t += r.nextInt(12_000);
      long ts = t - (long) (r.nextDouble() * BOUND);
      if (r.nextInt(25) == 0) {
        ts -= 2 * 3_600_000L; // far beyond the watermark bound: late on a stream
      }
      String user = "user_" + r.nextInt(25);
      Ev e = UserActivityOracle.randomEvent(r, user, ts);
      String revenue = e.revenue() == null ? null : e.revenue().toPlainString();
      switch (r.nextInt(60)) {
        case 0 ->
            out.add(
                new Generated(
                    null, ts, e.type(), revenue, null, "missing entity key field 'user_id'"));
        case 1 ->
            out.add(
                new Generated(
                    user,
                    ts,
                    "purchase", // revenue is read for purchases only
                    "\"lots\"",
                    null,
                    "field 'revenue' must be a number, got STRING"));
        case 2 ->
            out.add(
                new Generated(
                    user,
                    42L,
                    e.type(),
                    revenue,
                    null,
                    "event time 1970-01-01T00:00:00.042Z is before 2000-01-01 (a broken clock?)"));
        case 3 ->
            out.add(
                new Generated(
                    user, null, e.type(), revenue, null, "missing event time field 'event_ts'"));
        default -> out.add(new Generated(user, ts, e.type(), revenue, e, null));
      }
    }
    return out;
  }

  /** The valid events among {@code rows}. */
  public static List<Ev> valid(List<Generated> rows) {
    return rows.stream().filter(g -> g.event() != null).map(Generated::event).toList();
  }

  /** How many malformed rows there are per reason. */
  public static Map<String, Long> reasons(List<Generated> rows) {
    Map<String, Long> out = new TreeMap<>();
    rows.stream()
        .filter(g -> g.reason() != null)
        .forEach(g -> out.merge(g.reason(), 1L, Long::sum));
    return out;
  }

  /** Creates table {@code events} in the database {@code jdbcUrl} names and inserts the rows. */
  public static void create(String jdbcUrl, List<Generated> rows) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl)) {
      try (Statement s = c.createStatement()) {
        s.execute(
            "CREATE TABLE events (user_id text, event_type text, product_id text, revenue jsonb,"
                + " session_id text, platform text, event_ts bigint)");
      }
      try (PreparedStatement ps =
          c.prepareStatement("INSERT INTO events VALUES (?, ?, ?, ?::jsonb, ?, ?, ?)")) {
        for (Generated g : rows) {
          Ev e = g.event();
          ps.setString(1, g.user());
          ps.setString(2, g.type());
          ps.setString(3, e == null ? "p_1" : e.product());
          ps.setString(4, g.revenueJson());
          ps.setString(5, e == null ? "s_1" : e.session());
          ps.setString(6, e == null ? "web" : e.platform());
          if (g.ts() == null) {
            ps.setNull(7, Types.BIGINT);
          } else {
            ps.setLong(7, g.ts());
          }
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
  }

  /**
   * The dead letters of {@code user_activity} in {@code freshet.rejected_events}, counted per
   * reason (empty when the table does not exist); fails if one origin is stored twice or an origin
   * does not start with {@code originPrefix}.
   */
  public static Map<String, Long> rejectedReasons(String jdbcUrl, String originPrefix)
      throws SQLException {
    Map<String, Long> out = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT reason, count(*), count(DISTINCT origin), bool_and(starts_with(origin, ?))"
                    + " FROM freshet.rejected_events WHERE view_name = 'user_activity'"
                    + " AND kind = 'DEAD_LETTER' GROUP BY reason")) {
      ps.setString(1, originPrefix);
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          if (rs.getLong(2) != rs.getLong(3) || !rs.getBoolean(4)) {
            throw new AssertionError(
                "rejected rows of '"
                    + rs.getString(1)
                    + "': "
                    + rs.getLong(2)
                    + " rows, "
                    + rs.getLong(3)
                    + " distinct origins, all starting with "
                    + originPrefix
                    + ": "
                    + rs.getBoolean(4));
          }
          out.put(rs.getString(1), rs.getLong(2));
        }
      }
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return out;
      }
      throw e;
    }
    return out;
  }
}
