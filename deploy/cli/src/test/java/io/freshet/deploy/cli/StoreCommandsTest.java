package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.examples.UserActivity;
import io.freshet.offline.OfflineTable;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.DerivedValues;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code restore-online}, {@code verify} and {@code training-set} against a real Postgres and a
 * real Redis: an offline table filled by hand, an online table the commands rebuild and check.
 */
class StoreCommandsTest {
  private static final int REDIS_DB = 11;
  private static final List<String> USERS = List.of("u1", "u2", "u3", "u4", "u5");
  private static final ViewPlan PLAN = ViewPlan.of(UserActivity.view());

  @TempDir Path dir;
  private String pgUrl;
  private String redisUrl;
  private RedisClient client;
  private StatefulRedisConnection<byte[], byte[]> redis;
  private Instant latestWindowEnd;

  @BeforeEach
  void fillTheOfflineTable() throws Exception {
    pgUrl = TestPostgres.freshDatabase("cli_stores");
    redisUrl = TestRedis.uri(REDIS_DB);
    client = RedisClient.create(redisUrl);
    redis = client.connect(ByteArrayCodec.INSTANCE);
    redis.sync().flushdb();

    OfflineTable table = OfflineTable.of(PLAN);
    latestWindowEnd = Instant.now().truncatedTo(ChronoUnit.HOURS);
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement()) {
      for (String ddl : table.createStatements()) {
        s.execute(ddl);
      }
      StringBuilder cols = new StringBuilder("entity_key, feature_ts");
      StringBuilder marks = new StringBuilder("?, ?");
      for (String col : table.featureColumns()) {
        cols.append(", \"").append(col).append('"');
        marks.append(", ?");
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO " + table.qualifiedName() + " (" + cols + ") VALUES (" + marks + ")")) {
        for (String user : USERS) {
          for (int w = 0; w < 3; w++) {
            FeatureRow row = row(user, latestWindowEnd.minus(Duration.ofMinutes(15L * w)), w);
            ps.setString(1, row.entityKey());
            ps.setTimestamp(2, new Timestamp(row.featureTs()));
            for (int i = 0; i < row.values().length; i++) {
              Object v = row.values()[i];
              ps.setObject(
                  3 + i, v instanceof List<?> l ? c.createArrayOf("text", l.toArray()) : v);
            }
            ps.addBatch();
          }
        }
        ps.executeBatch();
      }
    }
  }

  @AfterEach
  void closeRedis() {
    redis.close();
    client.shutdown();
  }

  @Test
  void restores_a_flushed_online_table_then_verifies_it_and_reports_a_corrupted_key() {
    Cli.Result restore =
        Cli.run(
            "restore-online",
            "--views",
            "user_activity",
            "--pg-url",
            pgUrl,
            "--redis-url",
            redisUrl);
    assertThat(restore.exitCode()).as(restore.toString()).isZero();
    assertThat(restore.out())
        .contains(
            "user_activity: 5 rows read from "
                + OfflineTable.of(PLAN).qualifiedName()
                + " (each entity's latest, newer than the TTL of 2h), 5 keys written");
    assertThat(redis.sync().dbsize()).isEqualTo(5);

    Cli.Result ok = verify();
    assertThat(ok.exitCode()).as(ok.toString()).isZero();
    assertThat(ok.out())
        .contains("user_activity: 5 entities checked in")
        .contains("all match")
        .contains("The online table matches the offline table for every sampled entity.");

    FeatureRow wrong = row("u3", latestWindowEnd, 7);
    redis.sync().set(OnlineKeys.keyBytes(PLAN, "u3"), new OnlineCodec(PLAN).encode(wrong));

    Cli.Result bad = verify();
    assertThat(bad.exitCode()).as(bad.toString()).isEqualTo(1);
    assertThat(bad.out())
        .contains("user_activity: 5 entities checked in")
        .contains("1 mismatch")
        .contains("user_activity u3: VALUES_DIFFER")
        .contains("freshet restore-online --views user_activity");
  }

  @Test
  void verify_reports_entities_missing_online() {
    Cli.Result r = verify();
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.out()).contains("5 mismatches").contains("MISSING_ONLINE");
  }

  @Test
  void a_view_without_an_offline_table_has_nothing_to_verify() {
    Cli.Result r =
        Cli.run(
            "verify", "--views", "user_activity_live", "--pg-url", pgUrl, "--redis-url", redisUrl);
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err())
        .contains("no offline table yet for user_activity_live")
        .contains("nothing to verify");
  }

  @Test
  void an_unknown_view_is_a_usage_error() {
    Cli.Result r = Cli.run("verify", "--views", "nope", "--pg-url", pgUrl, "--redis-url", redisUrl);
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "freshet verify: unknown feature view 'nope': the bundled examples define"
                + " [user_activity, user_activity_live, user_lifetime, user_profile]");
  }

  @Test
  void builds_a_training_set_and_rebuilds_it_identically() throws Exception {
    Path labels = dir.resolve("labels.csv");
    StringBuilder csv = new StringBuilder("user_id,event_timestamp,churned\n");
    for (String user : USERS) {
      csv.append(user)
          .append(',')
          .append(latestWindowEnd.plus(Duration.ofMinutes(20)))
          .append(",0\n");
    }
    Files.writeString(labels, csv);
    Path output = dir.resolve("train.csv");

    Cli.Result built =
        Cli.run(
            "training-set",
            "--labels",
            labels.toString(),
            "--features",
            "user_activity:event_count_1h,user_activity:last_platform",
            "--output",
            output.toString(),
            "--pg-url",
            pgUrl);
    assertThat(built.exitCode()).as(built.toString()).isZero();
    assertThat(built.out()).contains("built: 5 rows written to " + output);
    assertThat(Files.readAllLines(output))
        .hasSize(6)
        .first()
        .isEqualTo("user_id,event_timestamp,churned,event_count_1h,last_platform");
    Matcher id = Pattern.compile("--rebuild ([0-9a-f-]{36})").matcher(built.out());
    assertThat(id.find()).as(built.out()).isTrue();
    byte[] original = Files.readAllBytes(output);

    Files.delete(output);
    Cli.Result rebuilt = Cli.run("training-set", "--rebuild", id.group(1), "--pg-url", pgUrl);
    assertThat(rebuilt.exitCode()).as(rebuilt.toString()).isZero();
    assertThat(rebuilt.out()).contains(id.group(1) + " rebuilt identically: 5 rows");
    assertThat(Files.readAllBytes(output)).isEqualTo(original);
  }

  @Test
  void a_training_set_needs_features_from_one_place() {
    Cli.Result r =
        Cli.run(
            "training-set",
            "--labels",
            "labels.csv",
            "--features",
            "user_activity:event_count_1h",
            "--feature-service",
            "conversion_model",
            "--output",
            "train.csv");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .contains("name the features with either --features view:feature,... or --feature-service");
  }

  private Cli.Result verify() {
    return Cli.run(
        "verify",
        "--views",
        "user_activity",
        "--recheck-after",
        "0s",
        "--pg-url",
        pgUrl,
        "--redis-url",
        redisUrl);
  }

  /**
   * A row whose aggregated values all derive from {@code seed}, typed as the plan's parts are, and
   * whose derived values are computed from those as the job computes them.
   */
  private static FeatureRow row(String user, Instant windowEnd, int seed) {
    List<FeaturePart> parts = PLAN.parts();
    Object[] values = new Object[parts.size()];
    for (int i = 0; i < values.length; i++) {
      if (parts.get(i).isDerived()) {
        continue;
      }
      values[i] =
          switch (parts.get(i).type()) {
            case INT64 -> (long) (seed + i + 1);
            case FLOAT64 -> seed + i + 0.5;
            case STRING -> "web-" + seed;
            case STRING_LIST -> List.of("s" + seed);
          };
    }
    DerivedValues.of(PLAN).fill(values);
    return new FeatureRow(user, windowEnd.toEpochMilli(), values);
  }
}
