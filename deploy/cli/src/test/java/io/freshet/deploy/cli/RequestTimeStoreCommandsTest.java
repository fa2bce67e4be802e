package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.aggregate.PartAggregator;
import io.freshet.aggregate.PartAggregators;
import io.freshet.aggregate.SliceCodec;
import io.freshet.examples.UserActivity;
import io.freshet.offline.TileTable;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.Tile;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code restore-online} and {@code verify} on a view served at request time ({@code
 * user_activity_live}) against a real Postgres and Redis: a tile history written by hand (as a
 * backfill writes it, never served), which the restore puts online and verify then checks.
 */
class RequestTimeStoreCommandsTest {
  private static final int REDIS_DB = 11;
  private static final ViewPlan PLAN = ViewPlan.of(UserActivity.liveView());
  private static final long T = 60_000L;

  private String pgUrl;
  private String redisUrl;
  private RedisClient client;
  private StatefulRedisConnection<byte[], byte[]> redis;
  private final List<String> users = new ArrayList<>();

  @BeforeEach
  void fillTheTileHistory() throws Exception {
    pgUrl = TestPostgres.freshDatabase("cli_tiles");
    redisUrl = TestRedis.uri(REDIS_DB);
    client = RedisClient.create(redisUrl);
    redis = client.connect(ByteArrayCodec.INSTANCE);
    String prefix = "cli-rt-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    long base = Math.floorDiv(System.currentTimeMillis(), T) * T;
    TileTable table = TileTable.of(PLAN);
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement()) {
      for (String ddl : table.createStatements()) {
        s.execute(ddl);
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO "
                  + table.qualifiedName()
                  + " (entity_key, tile_start, version, payload) VALUES (?,"
                  + " timestamptz 'epoch' + ? * interval '1 millisecond', ?, ?)")) {
        for (int u = 0; u < 3; u++) {
          String user = prefix + "u" + u;
          users.add(user);
          for (int back = 0; back < 2; back++) {
            for (int v = 1; v <= 2; v++) {
              Tile t = tile(user, base - back * T, v);
              ps.setString(1, t.entityKey());
              ps.setLong(2, t.start());
              ps.setLong(3, t.version());
              ps.setBytes(4, t.payload());
              ps.addBatch();
            }
          }
        }
        ps.executeBatch();
      }
    }
  }

  @AfterEach
  void clean() {
    for (String u : users) {
      redis.sync().del(OnlineKeys.keyBytes(PLAN, u));
    }
    redis.close();
    client.shutdown();
  }

  @Test
  void restores_the_tiles_then_verifies_them_and_reports_a_lost_entity() {
    Cli.Result restore =
        Cli.run(
            "restore-online",
            "--views",
            "user_activity_live",
            "--pg-url",
            pgUrl,
            "--redis-url",
            redisUrl);
    assertThat(restore.exitCode()).as(restore.toString()).isZero();
    assertThat(restore.out())
        .contains(
            "user_activity_live: 6 tiles read from "
                + TileTable.of(PLAN).qualifiedName()
                + " (the newest version of each), 6 tiles of 3 entities written")
        .contains("Restored tiles are visible online from now on");
    for (String u : users) {
      assertThat(redis.sync().hlen(OnlineKeys.keyBytes(PLAN, u))).isEqualTo(2);
    }

    Cli.Result ok = verify();
    assertThat(ok.exitCode()).as(ok.toString()).isZero();
    assertThat(ok.out())
        .contains(
            "user_activity_live: 3 entities checked in "
                + TileTable.of(PLAN).qualifiedName()
                + " (served at request time, tiles of 1m), all match");

    redis.sync().del(OnlineKeys.keyBytes(PLAN, users.get(1)));
    Cli.Result bad = verify();
    assertThat(bad.exitCode()).as(bad.toString()).isEqualTo(1);
    assertThat(bad.out())
        .contains("1 mismatch")
        .contains("user_activity_live " + users.get(1) + ": MISSING_ONLINE, tile ")
        .contains("freshet restore-online --views user_activity_live");
  }

  @Test
  void a_request_time_view_without_a_tile_table_has_nothing_to_verify() throws Exception {
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE " + TileTable.of(PLAN).qualifiedName());
    }
    Cli.Result r = verify();
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err())
        .contains(
            "no offline table yet for user_activity_live (" + TileTable.of(PLAN).qualifiedName());
  }

  private Cli.Result verify() {
    return Cli.run(
        "verify",
        "--views",
        "user_activity_live",
        "--recheck-after",
        "0s",
        "--pg-url",
        pgUrl,
        "--redis-url",
        redisUrl);
  }

  private static Tile tile(String entity, long start, int version) {
    List<FeaturePart.Aggregated> parts = PLAN.aggregatedParts();
    @SuppressWarnings("unchecked")
    PartAggregator<Object, Object>[] aggs = new PartAggregator[parts.size()];
    for (int i = 0; i < aggs.length; i++) {
      aggs[i] = PartAggregators.erased(parts.get(i).aggregation());
    }
    Object[] accs = new Object[aggs.length];
    for (int v = 0; v < version; v++) {
      for (int i = 0; i < aggs.length; i++) {
        accs[i] = aggs[i].add(accs[i], 1.5, "p" + v, start + v);
      }
    }
    try {
      return new Tile(entity, start, version, new SliceCodec(aggs).encode(accs));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
