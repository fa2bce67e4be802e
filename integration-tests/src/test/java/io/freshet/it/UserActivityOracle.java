package io.freshet.it;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Brute-force {@code user_activity}: for each user and each 15 minute window end, scans every event
 * of the user and computes the eight features of the design over the hour before it. Written apart
 * from the operator: no slices, no state, exact decimals.
 */
final class UserActivityOracle {
  static final long SLIDE = 15 * 60_000L;
  static final long SIZE = 60 * 60_000L;

  record Ev(
      String user,
      long ts,
      String type,
      BigDecimal revenue,
      String session,
      String product,
      String platform) {}

  /** A row of {@code user_activity} at {@code featureTs}. */
  record Row(
      String user,
      long featureTs,
      long events,
      long purchases,
      BigDecimal revenue,
      long sessions,
      long products,
      String lastPlatform) {

    double conversionRate() {
      return events == 0 ? 0 : (double) purchases / events;
    }

    double avgRevenuePerPurchase() {
      return purchases == 0
          ? 0
          : revenue.divide(BigDecimal.valueOf(purchases), MathContext.DECIMAL64).doubleValue();
    }

    boolean sameValues(Row o) {
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
  static Map<String, List<Row>> rows(List<Ev> events, long watermark) {
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
}
