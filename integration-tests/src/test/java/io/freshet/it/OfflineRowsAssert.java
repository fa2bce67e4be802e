package io.freshet.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.offline.OfflineTable;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.UserActivityOracle;
import io.freshet.testing.UserActivityOracle.Row;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.assertj.core.data.Offset;

/** Compares the offline table of the example view with {@link UserActivityOracle}'s rows. */
final class OfflineRowsAssert {
  private OfflineRowsAssert() {}

  /** Waits until the view's offline table holds at least {@code atLeast} rows. */
  static void awaitRows(String pgUrl, ViewPlan plan, int atLeast, Duration timeout)
      throws Exception {
    String table = OfflineTable.of(plan).qualifiedName();
    long deadline = System.nanoTime() + timeout.toNanos();
    int count = -1;
    while (System.nanoTime() < deadline) {
      count = countOrMinusOne(pgUrl, "SELECT count(*) FROM " + table);
      if (count >= atLeast) {
        Thread.sleep(2500);
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        "offline table "
            + table
            + " has "
            + count
            + " rows after "
            + timeout
            + ", want "
            + atLeast);
  }

  /** The count the query returns, or -1 while the table does not exist yet. */
  static int countOrMinusOne(String pgUrl, String sql) {
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      return -1;
    }
  }

  /** The current rows of every user are exactly the oracle's, window end by window end. */
  static void assertEquals(String pgUrl, ViewPlan plan, Map<String, List<Row>> expected)
      throws SQLException {
    Map<String, List<Row>> actual = new TreeMap<>();
    for (var entry :
        UserActivityOracle.storedRows(pgUrl, OfflineTable.of(plan).qualifiedName()).entrySet()) {
      String user = entry.getKey();
      for (UserActivityOracle.StoredRow stored : entry.getValue()) {
        actual.computeIfAbsent(user, u -> new ArrayList<>()).add(stored.row());
        assertThat(stored.conversionRate())
            .as("conversion_rate_1h of %s", user)
            .isCloseTo(last(actual.get(user)).conversionRate(), Offset.offset(1e-12));
        assertThat(stored.avgRevenuePerPurchase())
            .as("avg_revenue_per_purchase_1h of %s", user)
            .isCloseTo(last(actual.get(user)).avgRevenuePerPurchase(), Offset.offset(1e-6));
      }
    }
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    for (String user : expected.keySet()) {
      List<Row> want = expected.get(user);
      List<Row> got = actual.get(user);
      assertThat(got.stream().map(Row::featureTs).toList())
          .as("window ends of %s", user)
          .containsExactlyElementsOf(want.stream().map(Row::featureTs).toList());
      for (int i = 0; i < want.size(); i++) {
        assertSameValues(got.get(i), want.get(i));
      }
    }
  }

  /** The aggregated values of a row equal the oracle's. */
  static void assertSameValues(Row got, Row want) {
    assertThat(got.sessions()).as("session_count_1h of %s", want).isEqualTo(want.sessions());
    assertThat(got.products()).as("unique_products_1h of %s", want).isEqualTo(want.products());
    assertThat(got.lastPlatform()).as("last_platform of %s", want).isEqualTo(want.lastPlatform());
    assertThat(got.events()).as("event_count_1h of %s", want).isEqualTo(want.events());
    assertThat(got.purchases()).as("purchase_count_1h of %s", want).isEqualTo(want.purchases());
    assertThat(got.revenue().doubleValue())
        .as("revenue_1h of %s", want)
        .isCloseTo(want.revenue().doubleValue(), Offset.offset(1e-6));
  }

  private static Row last(List<Row> rows) {
    return rows.get(rows.size() - 1);
  }
}
