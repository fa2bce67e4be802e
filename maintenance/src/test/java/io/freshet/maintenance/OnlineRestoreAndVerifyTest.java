package io.freshet.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.examples.UserActivity;
import io.freshet.maintenance.OnlineVerifier.Problem;
import io.freshet.offline.OfflineTable;
import io.freshet.online.NewestWinsScript;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A lost online table comes back from the offline table's latest current rows, and the verifier
 * finds every kind of difference between the two stores.
 */
class OnlineRestoreAndVerifyTest {
  private static final ViewPlan PLAN = ViewPlan.of(UserActivity.view());
  private static final long MIN = 60_000L;
  private static String pgUrl;
  private static String redisUrl;
  private static RedisClient client;
  private static StatefulRedisConnection<byte[], byte[]> redis;
  private static final Map<String, FeatureRow> expected = new HashMap<>();

  @BeforeAll
  static void fill() throws Exception {
    pgUrl = TestPostgres.freshDatabase("freshet_maint");
    redisUrl = TestRedis.uri(6);
    client = RedisClient.create(redisUrl);
    redis = client.connect(ByteArrayCodec.INSTANCE);
    redis.sync().flushdb();
    OfflineTable table = OfflineTable.of(PLAN);
    long now = System.currentTimeMillis();
    long base = Math.floorDiv(now, 15 * MIN) * 15 * MIN;
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement()) {
      for (String ddl : table.createStatements()) {
        s.execute(ddl);
      }
      String insert =
          "INSERT INTO "
              + table.qualifiedName()
              + " (entity_key, feature_ts, event_count_1h, purchase_count_1h, revenue_1h,"
              + " session_count_1h, unique_products_1h, last_platform, conversion_rate_1h,"
              + " avg_revenue_per_purchase_1h, committed_at, superseded_at)"
              + " VALUES (?, ?, ?, 1, 9.5, 1, 1, 'ios', ?, 9.5, now() - interval '1 hour', ?)";
      try (PreparedStatement ps = c.prepareStatement(insert)) {
        for (int u = 0; u < 300; u++) {
          String user = "user_" + u;
          // an old window, a superseded version of the latest window, and the latest window
          long oldTs = base - 60 * MIN;
          long latestTs = base - (u % 3) * 15 * MIN;
          add(ps, user, oldTs, 2, null);
          add(ps, user, latestTs, 3, new Timestamp(now - 30 * MIN));
          add(ps, user, latestTs, 4 + u, null);
          expected.put(
              user,
              new FeatureRow(
                  user,
                  latestTs,
                  new Object[] {4L + u, 1L, 9.5, 1L, 1L, "ios", 1.0 / (4 + u), 9.5}));
        }
        // expired: its latest row is older than the 2h TTL
        add(ps, "user_expired", base - 3 * 60 * MIN, 7, null);
      }
    }
  }

  private static void add(PreparedStatement ps, String user, long ts, long count, Timestamp sup)
      throws Exception {
    ps.setString(1, user);
    ps.setTimestamp(2, new Timestamp(ts));
    ps.setLong(3, count);
    ps.setDouble(4, 1.0 / count); // conversion_rate_1h, as the job derives it
    ps.setTimestamp(5, sup);
    ps.executeUpdate();
  }

  @AfterAll
  static void close() {
    redis.close();
    client.shutdown();
  }

  @Test
  void restore_writes_latest_current_rows_and_verify_then_finds_each_kind_of_difference()
      throws Exception {
    // user_0's latest row was first served by the job an hour ago; the others never were
    String table = OfflineTable.of(PLAN).qualifiedName();
    long firstServed = (System.currentTimeMillis() - 60 * MIN) * 1000 + 123;
    long servedBefore =
        queryLong(
            "UPDATE "
                + table
                + " SET visible_at = timestamptz 'epoch' + "
                + firstServed
                + " * interval '1 microsecond' WHERE entity_key = 'user_0' AND superseded_at IS NULL"
                + " AND feature_ts = (SELECT max(feature_ts) FROM "
                + table
                + " WHERE entity_key = 'user_0') RETURNING 1");
    assertThat(servedBefore).isEqualTo(1);

    var restored = new OnlineRestorer(pgUrl, redisUrl, Clock.systemUTC()).restore(PLAN);
    assertThat(restored.keysWritten()).isEqualTo(300);
    OnlineCodec codec = new OnlineCodec(PLAN);

    // the history keeps when each value was first servable; online, the restore's stamp
    assertThat(
            queryLong(
                "SELECT (extract(epoch FROM visible_at) * 1000000)::bigint FROM "
                    + table
                    + " WHERE entity_key = 'user_0' AND visible_at IS NOT NULL"))
        .as("visible_at of user_0's row after the restore")
        .isEqualTo(firstServed);
    assertThat(queryLong("SELECT count(*) FROM " + table + " WHERE visible_at IS NOT NULL"))
        .as("versions with a visible_at after the restore: backfilled ones stay without")
        .isEqualTo(1);
    byte[] user0 = redis.sync().get(OnlineKeys.keyBytes(PLAN, "user_0"));
    assertThat(ByteBuffer.wrap(user0, user0.length - NewestWinsScript.STAMP_BYTES, 8).getLong())
        .as("user_0's online stamp, from the restore's write")
        .isGreaterThan(firstServed + 50 * MIN * 1000);
    for (var e : expected.entrySet()) {
      byte[] bytes = redis.sync().get(OnlineKeys.keyBytes(PLAN, e.getKey()));
      assertThat(codec.decode(e.getKey(), bytes)).isEqualTo(e.getValue());
    }
    assertThat(redis.sync().get(OnlineKeys.keyBytes(PLAN, "user_expired"))).isNull();

    OnlineVerifier verifier = new OnlineVerifier(pgUrl, redisUrl, Clock.systemUTC());
    assertThat(verifier.verify(PLAN, 1000, Duration.ZERO).mismatches()).isEmpty();

    // break three entities three ways
    redis.sync().del(OnlineKeys.keyBytes(PLAN, "user_1"));
    FeatureRow older = expected.get("user_2");
    redis
        .sync()
        .set(
            OnlineKeys.keyBytes(PLAN, "user_2"),
            codec.encode(new FeatureRow("user_2", older.featureTs() - 15 * MIN, older.values())),
            SetArgs.Builder.px(600_000));
    Object[] wrong = expected.get("user_3").values().clone();
    wrong[0] = 999L;
    redis
        .sync()
        .set(
            OnlineKeys.keyBytes(PLAN, "user_3"),
            codec.encode(new FeatureRow("user_3", expected.get("user_3").featureTs(), wrong)),
            SetArgs.Builder.px(600_000));
    var report = verifier.verify(PLAN, 1000, Duration.ZERO);
    assertThat(report.checked()).isEqualTo(301);
    assertThat(report.mismatches())
        .extracting(OnlineVerifier.Mismatch::entity, OnlineVerifier.Mismatch::problem)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("user_1", Problem.MISSING_ONLINE),
            org.assertj.core.groups.Tuple.tuple("user_2", Problem.STALE_ONLINE),
            org.assertj.core.groups.Tuple.tuple("user_3", Problem.VALUES_DIFFER));

    // a second restore repairs the missing and stale entities; newest-wins keeps user_3's
    // same-window value only if it is not older, so it is replaced too (equal feature_ts wins)
    new OnlineRestorer(pgUrl, redisUrl, Clock.systemUTC()).restore(PLAN);
    assertThat(verifier.verify(PLAN, 1000, Duration.ZERO).mismatches()).isEmpty();

    // a value left in another format version (here 1, which also stored the derived ratios) is
    // undecodable, and a restore replaces it whatever its feature_ts
    byte[] oldLayout = codec.encode(expected.get("user_4"));
    oldLayout[0] = 1;
    redis.sync().set(OnlineKeys.keyBytes(PLAN, "user_4"), oldLayout);
    assertThat(verifier.verify(PLAN, 1000, Duration.ZERO).mismatches())
        .extracting(OnlineVerifier.Mismatch::entity, OnlineVerifier.Mismatch::problem)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("user_4", Problem.UNDECODABLE));
    new OnlineRestorer(pgUrl, redisUrl, Clock.systemUTC()).restore(PLAN);
    assertThat(verifier.verify(PLAN, 1000, Duration.ZERO).mismatches()).isEmpty();
  }

  private static long queryLong(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      assertThat(rs.next()).as(sql).isTrue();
      return rs.getLong(1);
    }
  }
}
