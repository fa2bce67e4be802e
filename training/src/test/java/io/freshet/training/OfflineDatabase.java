package io.freshet.training;

import io.freshet.dsl.Aggregation;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.examples.UserActivity;
import io.freshet.offline.ListValues;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * A fresh database with offline tables that tests fill with plain SQL, history included, and the
 * views the tests read: {@code user_activity} from the examples and {@code merchant_orders}, keyed
 * by (merchant_id, country), with no availability delay and a 30 minute TTL.
 */
final class OfflineDatabase implements AutoCloseable {
  static final FeatureView USER_ACTIVITY = UserActivity.view();

  static final FeatureView MERCHANT_ORDERS =
      FeatureView.named("merchant_orders")
          .source(
              KafkaJsonSource.topic("orders")
                  .keyedBy("merchant_id", "country")
                  .eventTimeField("order_ts")
                  .withMaxOutOfOrderness(Duration.ofMinutes(1)))
          .feature(
              Feature.named("order_count")
                  .aggregate(Aggregation.count())
                  .over(SlidingWindow.of(Duration.ofMinutes(30), Duration.ofMinutes(5))))
          .feature(
              Feature.named("recent_skus")
                  .aggregate(Aggregation.lastK("sku", 3))
                  .over(SlidingWindow.of(Duration.ofMinutes(30), Duration.ofMinutes(5))))
          .feature(
              Feature.named("last_platform")
                  .aggregate(Aggregation.last("platform"))
                  .over(SlidingWindow.of(Duration.ofMinutes(30), Duration.ofMinutes(5))))
          .ttl(Duration.ofMinutes(30))
          .availabilityDelay(Duration.ZERO)
          .build();

  static final Catalog CATALOG = Catalog.of(List.of(USER_ACTIVITY, MERCHANT_ORDERS));

  static final ViewPlan USERS = CATALOG.plan("user_activity");
  static final ViewPlan MERCHANTS = CATALOG.plan("merchant_orders");

  /** One version of an offline row; {@code supersededAt} null while current. */
  record Row(
      String entityKey,
      Instant featureTs,
      Object[] values,
      Instant committedAt,
      Instant supersededAt) {}

  final String url;
  private final String name;

  private OfflineDatabase(String url) {
    this.url = url;
    this.name = url.substring(url.lastIndexOf('/') + 1).replaceFirst("\\?.*", "");
  }

  /** A new database with the server's default collation. */
  static OfflineDatabase fresh() {
    return new OfflineDatabase(TestPostgres.freshDatabase("freshet_training"));
  }

  /**
   * A new database whose default collation is ICU's en-US, which orders {@code a < ä < B} unlike
   * bytewise order; null if the server has no ICU.
   */
  static OfflineDatabase freshWithLinguisticCollation() {
    String db =
        "freshet_training_icu_"
            + UUID.randomUUID()
                .toString()
                .replace("-", "")
                .substring(0, 12)
                .toLowerCase(Locale.ROOT);
    try (Connection c = DriverManager.getConnection(TestPostgres.adminUrl());
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE DATABASE " + db + " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'");
    } catch (SQLException e) {
      return null;
    }
    String admin = TestPostgres.adminUrl();
    int q = admin.indexOf('?');
    String base = q < 0 ? admin : admin.substring(0, q);
    String params = q < 0 ? "" : admin.substring(q);
    return new OfflineDatabase(base.substring(0, base.lastIndexOf('/') + 1) + db + params);
  }

  void create(ViewPlan plan) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String sql : OfflineTable.of(plan).createStatements()) {
        s.execute(sql);
      }
    }
  }

  void insert(ViewPlan plan, List<Row> rows) throws SQLException {
    OfflineTable table = OfflineTable.of(plan);
    StringBuilder cols = new StringBuilder("entity_key, feature_ts");
    StringBuilder marks = new StringBuilder("?, ?");
    for (FeaturePart p : plan.parts()) {
      cols.append(", \"").append(p.name()).append('"');
      marks.append(", ?");
    }
    String sql =
        "INSERT INTO "
            + table.qualifiedName()
            + " ("
            + cols
            + ", committed_at, superseded_at) VALUES ("
            + marks
            + ", ?, ?)";
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      c.setAutoCommit(false);
      int n = 0;
      for (Row r : rows) {
        int i = 1;
        ps.setString(i++, r.entityKey());
        ps.setObject(i++, r.featureTs().atOffset(ZoneOffset.UTC));
        for (FeaturePart p : plan.parts()) {
          Object v = r.values()[p.index()];
          switch (p.type()) {
            case INT64 -> ps.setObject(i++, v, java.sql.Types.BIGINT);
            case FLOAT64 -> ps.setObject(i++, v, java.sql.Types.DOUBLE);
            case STRING -> ps.setString(i++, (String) v);
            case STRING_LIST ->
                ps.setArray(
                    i++, v == null ? null : c.createArrayOf("text", ((List<?>) v).toArray()));
          }
        }
        ps.setObject(i++, r.committedAt().atOffset(ZoneOffset.UTC));
        ps.setObject(
            i, r.supersededAt() == null ? null : r.supersededAt().atOffset(ZoneOffset.UTC));
        ps.addBatch();
        if (++n % 5000 == 0) {
          ps.executeBatch();
        }
      }
      ps.executeBatch();
      c.commit();
    }
  }

  /**
   * Commits rows as the offline sink does ({@link OfflineTable#insertOrSupersedeStatement()} then
   * {@link OfflineTable#insertStatement()} in one transaction, committed at its {@code now()}): a
   * row whose values changed supersedes the current version.
   */
  void commit(ViewPlan plan, List<FeatureRow> rows) throws SQLException {
    commit(plan, rows, new Long[rows.size()]);
  }

  /**
   * {@link #commit(ViewPlan, List)} with each row's {@code visible_at} in epoch microseconds (null:
   * never served), as the row sink writes it after the online write.
   */
  void commit(ViewPlan plan, List<FeatureRow> rows, Long[] visibleMicros) throws SQLException {
    OfflineTable table = OfflineTable.of(plan);
    try (Connection c = connect()) {
      c.setAutoCommit(false);
      for (String sql : List.of(table.insertOrSupersedeStatement(), table.insertStatement())) {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setArray(
              1, c.createArrayOf("text", rows.stream().map(FeatureRow::entityKey).toArray()));
          ps.setArray(
              2, c.createArrayOf("bigint", rows.stream().map(FeatureRow::featureTs).toArray()));
          for (FeaturePart p : plan.parts()) {
            Object[] column = rows.stream().map(r -> r.values()[p.index()]).toArray();
            String type =
                switch (p.type()) {
                  case INT64 -> "bigint";
                  case FLOAT64 -> "float8";
                  case STRING -> "text";
                  case STRING_LIST -> {
                    for (int i = 0; i < column.length; i++) {
                      column[i] =
                          column[i] == null ? null : ListValues.literal((List<?>) column[i]);
                    }
                    yield "text";
                  }
                };
            ps.setArray(3 + p.index(), c.createArrayOf(type, column));
          }
          ps.setArray(3 + plan.parts().size(), c.createArrayOf("bigint", visibleMicros));
          ps.executeUpdate();
        }
      }
      c.commit();
    }
  }

  /**
   * Waits until {@link OfflineTable#stableAsOfQuery()} has passed {@code time}: until no writer
   * transaction that started before it is still open (on a server shared with other tests, a writer
   * elsewhere can hold it back for a moment).
   */
  void awaitStableAfter(Instant time) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      Instant stable;
      try (Connection c = connect();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(OfflineTable.stableAsOfQuery())) {
        rs.next();
        stable = rs.getObject(1, java.time.OffsetDateTime.class).toInstant();
      }
      if (stable.isAfter(time)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the stable as-of time stayed at " + stable + " for 60 s");
      }
      Thread.sleep(100);
    }
  }

  void execute(String sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  List<String> strings(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** A connection that renders timestamps in UTC. */
  Connection connect() throws SQLException {
    Connection c = DriverManager.getConnection(url);
    try (Statement s = c.createStatement()) {
      s.execute("SET TimeZone = 'UTC'");
    }
    return c;
  }

  @Override
  public void close() throws SQLException {
    try (Connection c = DriverManager.getConnection(TestPostgres.adminUrl());
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
}
