package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.examples.UserProfile;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * {@code freshet materialize} run for real: the job jar's MaterializeJob in a child JVM on the
 * Flink runtime classpath, loading the example view {@code user_profile} from its table into a real
 * Postgres and Redis; a second load finds nothing new, and an update stamped later is loaded by the
 * third as one new version.
 */
class MaterializeIT {
  private static final int REDIS_DB = 2;

  @Test
  void loads_the_table_then_only_what_changed() throws Exception {
    String pgUrl = TestPostgres.freshDatabase("cli_materialize");
    String redisUrl = TestRedis.uri(REDIS_DB);
    RedisClient client = RedisClient.create(redisUrl);
    try (StatefulRedisConnection<String, String> redis = client.connect()) {
      redis.sync().flushdb();
    } finally {
      client.shutdown();
    }
    assertThat(Cli.run("apply", "--pg-url", pgUrl).exitCode()).isZero();
    execute(
        pgUrl,
        UserProfile.createTableSql(),
        "INSERT INTO "
            + UserProfile.TABLE
            + " VALUES ('u1', 'DE', '2024-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
            + " ('u2', 'FR', '2024-02-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
            + " ('u3', null, null, '2026-01-02T00:00:00Z')");

    Cli.Result first = materialize(pgUrl, redisUrl);
    assertThat(first.exitCode()).as(first.toString()).isZero();
    assertThat(first.out()).contains("loaded 3 rows of user_profile");

    Cli.Result again = materialize(pgUrl, redisUrl);
    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(again.out()).contains("loaded 0 rows of user_profile");

    execute(
        pgUrl,
        "UPDATE "
            + UserProfile.TABLE
            + " SET country = 'US', updated_at = now() WHERE user_id = 'u1'");
    Cli.Result third = materialize(pgUrl, redisUrl);
    assertThat(third.exitCode()).as(third.toString()).isZero();
    assertThat(third.out()).contains("loaded 1 rows of user_profile");

    OfflineTable table = OfflineTable.of(ViewPlan.of(UserProfile.view()));
    assertThat(count(pgUrl, "SELECT count(*) FROM " + table.qualifiedName())).isEqualTo(4);
    assertThat(
            count(
                pgUrl,
                "SELECT count(*) FROM "
                    + table.qualifiedName()
                    + " WHERE entity_key = 'u2' AND signup_ts = 1706745600000"))
        .isEqualTo(1);
  }

  private static Cli.Result materialize(String pgUrl, String redisUrl) {
    return Cli.run(
        "materialize",
        "--view",
        "user_profile",
        "--pg-url",
        pgUrl,
        "--redis-url",
        redisUrl,
        "--timeout",
        "3m");
  }

  private static void execute(String pgUrl, String... sql) throws Exception {
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  private static long count(String pgUrl, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
