package io.freshet.testing;

import java.math.BigDecimal;
import java.math.MathContext;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * Brute-force {@code user_activity}: for each user and each 15 minute window end, scans every event
 * of the user and computes the eight features of the design over the hour before it. Written apart
 * from the operator: no slices, no state, exact decimals.
 */
public final class UserActivityOracle {
  public static final long SLIDE = 15 * 60_000L;
  public static final long SIZE = 60 * 60_000L;

  /** An event of the example view's topic; absent fields are null. */
  public record Ev(
      String user,
      long ts,
      String type,
      BigDecimal revenue,
      String session,
      String product,
      String platform) {}

  /** A row of {@code user_activity} at {@code featureTs}. */
  public record Row(
      String user,
      long featureTs,
      long events,
      long purchases,
      BigDecimal revenue,
      long sessions,
      long products,
      String lastPlatform) {

    public double conversionRate() {
      return events == 0 ? 0 : (double) purchases / events;
    }

    public double avgRevenuePerPurchase() {
      return purchases == 0
          ? 0
          : revenue.divide(BigDecimal.valueOf(purchases), MathContext.DECIMAL64).doubleValue();
    }

    public boolean sameValues(Row o) {
      return o != null
          && events == o.events
          && purchases == o.purchases
          && revenue.compareTo(o.revenue) == 0
          && sessions == o.sessions
          && products == o.products
          && Objects.equals(lastPlatform, o.lastPlatform);
    }
  }

  private UserActivityOracle() {}

  /** Every change row of every user, for windows final at {@code watermark}. */
  public static Map<String, List<Row>> rows(List<Ev> events, long watermark) {
    Map<String, List<Ev>> byUser = new TreeMap<>();
    for (Ev e : events) {
      byUser.computeIfAbsent(e.user(), u -> new ArrayList<>()).add(e);
    }
    Map<String, List<Row>> out = new TreeMap<>();
    for (var entry : byUser.entrySet()) {
      List<Ev> evs = entry.getValue();
      long min = evs.stream().mapToLong(Ev::ts).min().orElseThrow();
      long max = evs.stream().mapToLong(Ev::ts).max().orElseThrow();
      Row previous = new Row(entry.getKey(), 0, 0, 0, BigDecimal.ZERO, 0, 0, null);
      List<Row> rows = new ArrayList<>();
      for (long end = Math.floorDiv(min, SLIDE) * SLIDE + SLIDE;
          end - 1 <= watermark && end <= max + SIZE + SLIDE;
          end += SLIDE) {
        Row row = window(entry.getKey(), evs, end);
        if (!row.sameValues(previous)) {
          rows.add(row);
          previous = row;
        }
      }
      if (!rows.isEmpty()) {
        out.put(entry.getKey(), rows);
      }
    }
    return out;
  }

  private static Row window(String user, List<Ev> evs, long end) {
    long count = 0;
    long purchases = 0;
    BigDecimal revenue = BigDecimal.ZERO;
    Set<String> sessions = new HashSet<>();
    Set<String> products = new HashSet<>();
    Ev latest = null;
    for (Ev e : evs) {
      if (e.ts() < end - SIZE || e.ts() >= end) {
        continue;
      }
      count++;
      if ("purchase".equals(e.type())) {
        purchases++;
        if (e.revenue() != null) {
          revenue = revenue.add(e.revenue());
        }
      }
      if (e.session() != null) {
        sessions.add(e.session());
      }
      if (e.product() != null) {
        products.add(e.product());
      }
      if (e.platform() != null
          && (latest == null
              || e.ts() > latest.ts()
              || (e.ts() == latest.ts() && e.platform().compareTo(latest.platform()) > 0))) {
        latest = e;
      }
    }
    return new Row(
        user,
        end,
        count,
        purchases,
        revenue,
        sessions.size(),
        products.size(),
        latest == null ? null : latest.platform());
  }

  /** A random event of a user at {@code ts}, with the mix of types and fields the demo produces. */
  public static Ev randomEvent(Random r, String user, long ts) {
    int k = r.nextInt(20);
    String type = k < 10 ? "view" : k < 15 ? "click" : k < 18 ? "add_to_cart" : "purchase";
    BigDecimal revenue =
        "purchase".equals(type) && r.nextInt(8) != 0
            ? BigDecimal.valueOf(100 + r.nextInt(20_000), 2)
            : null;
    String session = "s_" + user + "_" + r.nextInt(6);
    String product = r.nextInt(3) == 0 ? null : "p_" + r.nextInt(40);
    String platform =
        r.nextInt(12) == 0 ? null : new String[] {"ios", "android", "web"}[r.nextInt(3)];
    return new Ev(user, ts, type, revenue, session, product, platform);
  }

  /** The event as JSON, with its time as epoch milliseconds or ISO-8601 at random. */
  public static String json(Ev e, Random r) {
    StringBuilder sb = new StringBuilder("{");
    sb.append("\"user_id\":\"").append(e.user()).append('"');
    sb.append(",\"event_type\":\"").append(e.type()).append('"');
    if (e.product() != null) {
      sb.append(",\"product_id\":\"").append(e.product()).append('"');
    }
    if (e.revenue() != null) {
      sb.append(",\"revenue\":").append(e.revenue().toPlainString());
    }
    sb.append(",\"session_id\":\"").append(e.session()).append('"');
    if (e.platform() != null) {
      sb.append(",\"platform\":\"").append(e.platform()).append('"');
    }
    sb.append(",\"event_ts\":");
    if (r.nextBoolean()) {
      sb.append(e.ts());
    } else {
      sb.append('"').append(Instant.ofEpochMilli(e.ts())).append('"');
    }
    return sb.append('}').toString();
  }

  /** A current offline row with the two derived features the job stored beside it. */
  public record StoredRow(Row row, double conversionRate, double avgRevenuePerPurchase) {}

  /**
   * The current rows ({@code superseded_at IS NULL}) of a {@code user_activity} offline table, per
   * user in window order.
   */
  public static Map<String, List<StoredRow>> storedRows(String jdbcUrl, String qualifiedTable)
      throws SQLException {
    Map<String, List<StoredRow>> out = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT entity_key, feature_ts, event_count_1h, purchase_count_1h, revenue_1h,"
                    + " session_count_1h, unique_products_1h, last_platform, conversion_rate_1h,"
                    + " avg_revenue_per_purchase_1h FROM "
                    + qualifiedTable
                    + " WHERE superseded_at IS NULL ORDER BY entity_key, feature_ts")) {
      while (rs.next()) {
        String user = rs.getString(1);
        Row row =
            new Row(
                user,
                rs.getTimestamp(2).getTime(),
                rs.getLong(3),
                rs.getLong(4),
                BigDecimal.valueOf(rs.getDouble(5)),
                rs.getLong(6),
                rs.getLong(7),
                rs.getString(8));
        out.computeIfAbsent(user, u -> new ArrayList<>())
            .add(new StoredRow(row, rs.getDouble(9), rs.getDouble(10)));
      }
    }
    return out;
  }
}
