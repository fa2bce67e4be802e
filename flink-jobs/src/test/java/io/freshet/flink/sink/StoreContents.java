package io.freshet.flink.sink;

import io.freshet.offline.OfflineTable;
import io.freshet.online.NewestWinsScript;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads back what the sinks wrote, in the shape of rows, for comparison with an oracle. */
public final class StoreContents {
  private StoreContents() {}

  /** One (entity, feature_ts). */
  public record WindowKey(String entityKey, long featureTs) {
    public static WindowKey of(FeatureRow row) {
      return new WindowKey(row.entityKey(), row.featureTs());
    }
  }

  /**
   * One version of an offline row; {@code visibleAtMicros} is its {@code visible_at} in epoch
   * microseconds, null for a version the online table never served.
   */
  public record Version(
      FeatureRow row, Instant committedAt, Instant supersededAt, Long visibleAtMicros) {}

  /** An entity's row in the online table and the instant, in epoch µs, it is served from. */
  public record Served(FeatureRow row, long stampMicros) {}

  /** The latest version of every offline row. */
  public static Map<WindowKey, FeatureRow> offlineCurrent(String jdbcUrl, ViewPlan plan)
      throws SQLException {
    Map<WindowKey, FeatureRow> rows = new HashMap<>();
    query(
        jdbcUrl,
        OfflineTable.of(plan).currentRowsQuery(),
        List.of(),
        rs -> {
          FeatureRow row = row(rs, plan);
          rows.put(WindowKey.of(row), row);
        });
    return rows;
  }

  /** The version of every offline row that was current at commit time {@code asOf}. */
  public static Map<WindowKey, FeatureRow> offlineAsOf(String jdbcUrl, ViewPlan plan, Instant asOf)
      throws SQLException {
    Map<WindowKey, FeatureRow> rows = new HashMap<>();
    Timestamp t = Timestamp.from(asOf);
    query(
        jdbcUrl,
        OfflineTable.of(plan).rowsAsOfQuery(),
        List.of(t, t),
        rs -> {
          FeatureRow row = row(rs, plan);
          if (rows.put(WindowKey.of(row), row) != null) {
            throw new AssertionError("two versions of " + WindowKey.of(row) + " as of " + asOf);
          }
        });
    return rows;
  }

  /** Every version of every offline row, in (entity, feature_ts, committed_at) order. */
  public static List<Version> offlineHistory(String jdbcUrl, ViewPlan plan) throws SQLException {
    List<Version> versions = new ArrayList<>();
    OfflineTable table = OfflineTable.of(plan);
    String sql =
        "SELECT "
            + String.join(", ", columns(table))
            + ", superseded_at, (extract(epoch FROM visible_at) * 1000000)::bigint FROM "
            + table.qualifiedName()
            + " ORDER BY entity_key, feature_ts, committed_at";
    query(
        jdbcUrl,
        sql,
        List.of(),
        rs -> {
          Timestamp superseded = rs.getTimestamp(plan.parts().size() + 4);
          long visible = rs.getLong(plan.parts().size() + 5);
          Long visibleAt = rs.wasNull() ? null : visible;
          versions.add(
              new Version(
                  row(rs, plan),
                  rs.getTimestamp(plan.parts().size() + 3).toInstant(),
                  superseded == null ? null : superseded.toInstant(),
                  visibleAt));
        });
    return versions;
  }

  /** Every entity's row in the online table. */
  public static Map<String, FeatureRow> online(String redisUri, ViewPlan plan) {
    Map<String, FeatureRow> rows = new HashMap<>();
    onlineServed(redisUri, plan).forEach((entity, served) -> rows.put(entity, served.row()));
    return rows;
  }

  /**
   * Every entity's row in the online table with the stamp stored after it ({@link
   * NewestWinsScript}).
   */
  public static Map<String, Served> onlineServed(String redisUri, ViewPlan plan) {
    Map<String, Served> rows = new HashMap<>();
    OnlineCodec codec = new OnlineCodec(plan);
    RedisClient client = RedisClient.create(redisUri);
    try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE)) {
      RedisCommands<byte[], byte[]> redis = c.sync();
      ScanArgs match = ScanArgs.Builder.matches(OnlineKeys.scanPattern(plan)).limit(1000);
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        KeyScanCursor<byte[]> page = redis.scan(cursor, match);
        for (byte[] key : page.getKeys()) {
          String k = new String(key, StandardCharsets.UTF_8);
          String entity = OnlineKeys.entityKey(plan, k);
          byte[] stored = redis.get(key);
          if (stored == null) {
            continue; // expired or deleted between SCAN and GET
          }
          FeatureRow row = codec.decode(entity, stored);
          long stamp =
              ByteBuffer.wrap(stored, stored.length - NewestWinsScript.STAMP_BYTES, 8).getLong();
          rows.put(entity, new Served(row, stamp));
        }
        cursor = page;
      } while (!cursor.isFinished());
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
    return rows;
  }

  /** Runs a statement on a database, for setup and checks. */
  public static void execute(String jdbcUrl, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** The first column of the first row of a query, as a long. */
  public static long queryLong(String jdbcUrl, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Threads of Lettuce clients still alive in this JVM. */
  public static List<String> lettuceThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("lettuce-"))
        .toList();
  }

  private interface RowConsumer {
    void accept(ResultSet rs) throws SQLException;
  }

  private static void query(String jdbcUrl, String sql, List<Object> params, RowConsumer each)
      throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl)) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setFetchSize(10_000);
        for (int i = 0; i < params.size(); i++) {
          ps.setObject(i + 1, params.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            each.accept(rs);
          }
        }
      }
      c.commit();
    }
  }

  private static List<String> columns(OfflineTable table) {
    List<String> cols = new ArrayList<>(List.of("entity_key", "feature_ts"));
    table.featureColumns().forEach(c -> cols.add('"' + c + '"'));
    cols.add("committed_at");
    return cols;
  }

  private static FeatureRow row(ResultSet rs, ViewPlan plan) throws SQLException {
    List<FeaturePart> parts = plan.parts();
    Object[] values = new Object[parts.size()];
    for (FeaturePart p : parts) {
      int col = 3 + p.index();
      values[p.index()] =
          switch (p.type()) {
            case INT64 -> {
              long v = rs.getLong(col);
              yield rs.wasNull() ? null : v;
            }
            case FLOAT64 -> {
              double v = rs.getDouble(col);
              yield rs.wasNull() ? null : v;
            }
            case STRING -> rs.getString(col);
            case STRING_LIST -> {
              Array a = rs.getArray(col);
              yield a == null ? null : List.copyOf(Arrays.asList((String[]) a.getArray()));
            }
          };
    }
    return new FeatureRow(rs.getString(1), rs.getTimestamp(2).getTime(), values);
  }

  /** Calls {@code check} until it passes or {@code timeout} has passed, then rethrows. */
  public static void eventually(Duration timeout, Runnable check) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        check.run();
        return;
      } catch (AssertionError e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }
}
