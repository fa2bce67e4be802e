package io.freshet.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.flink.sink.CommitFaults.Point;
import io.freshet.flink.sink.CommitFaults.Store;
import io.freshet.flink.sink.GeneratedRows.Oracle;
import io.freshet.flink.sink.ServedVersions.Observations;
import io.freshet.flink.sink.StoreContents.Served;
import io.freshet.flink.sink.StoreContents.WindowKey;
import io.freshet.flink.sink.offline.PostgresOfflineSink;
import io.freshet.flink.sink.online.RedisOnlineSink;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TcpProxy;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Postgres, then Redis, then both "restart" while the job runs: a proxy in front of each drops
 * every connection in the middle of a commit and refuses new ones for a few seconds. The rows sink
 * is wired as the job compiler wires a window-end view: one committer writes each checkpoint online
 * and then offline with the instants the online table serves the rows from. Postgres goes down
 * halfway through an offline transaction, Redis as a commit begins (its online write meets the
 * outage), both between a commit's online write and its offline transaction. The committer waits it
 * out and the job goes on without a restart; in the end both stores equal the oracle, and the
 * offline {@code visible_at} of each row seen online (at the end, and when both stores went down)
 * is the stamp the online table held with it.
 */
class StoreOutageRecoveryTest {
  static final long ROWS = 300_000;
  static final int ENTITIES = 2_000;
  static final int ROWS_PER_SECOND = 20_000;
  static final Duration OUTAGE = Duration.ofSeconds(3);
  static final ViewPlan PLAN = GeneratedRows.PLAN;
  static final int REDIS_DB = 5;

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  @TempDir static Path checkpoints;

  private static String jdbcUrl;
  private static URI pg;
  private static RedisURI redis;

  @BeforeAll
  static void stores() {
    jdbcUrl = TestPostgres.freshDatabase("store_outage");
    pg = URI.create(jdbcUrl.substring("jdbc:".length()));
    redis = RedisURI.create(TestRedis.uri(REDIS_DB));
    flushRedis();
  }

  @AfterAll
  static void dropStores() throws Exception {
    CommitFaults.uninstall();
    flushRedis();
    StoreContents.execute(
        TestPostgres.adminUrl(),
        "DROP DATABASE IF EXISTS " + pg.getPath().substring(1) + " WITH (FORCE)");
  }

  @Test
  void postgres_and_redis_restarting_mid_commit_lose_nothing_and_need_no_job_restart(
      @InjectClusterClient RestClusterClient<?> flink) throws Exception {
    GeneratedRows data = new GeneratedRows(ENTITIES, ROWS);
    try (TcpProxy pgProxy = TcpProxy.started(pg.getHost(), pg.getPort());
        TcpProxy redisProxy = TcpProxy.started(redis.getHost(), redis.getPort())) {
      PacedRowsJob.planNoFaults();
      AtomicInteger outages = new AtomicInteger();
      long[] at = {ROWS / 5, ROWS * 9 / 20, ROWS * 7 / 10};
      Point[] where = {Point.MID_APPLY, Point.BEFORE_APPLY, Point.BETWEEN_STORES};
      Observations cut = new Observations();
      PacedRowsJob.observer =
          (store, point, committable) -> {
            int next = outages.get();
            if (next >= at.length
                || store != Store.OFFLINE
                || point != where[next]
                || PacedRowsJob.highWater.get() < at[next]
                || !outages.compareAndSet(next, next + 1)) {
              return;
            }
            if (point == Point.BETWEEN_STORES) {
              cut.addRowsOf(committable, TestRedis.uri(REDIS_DB), PLAN);
            }
            if (next != 1) {
              pgProxy.restart(OUTAGE);
            }
            if (next != 0) {
              redisProxy.restart(OUTAGE);
            }
          };
      String offlineUrl =
          jdbcUrl.replace(pg.getHost() + ":" + pg.getPort(), "127.0.0.1:" + pgProxy.port());
      String onlineUri = "redis://127.0.0.1:" + redisProxy.port() + "/" + REDIS_DB;

      Duration took =
          PacedRowsJob.run(
              data,
              ROWS_PER_SECOND,
              Duration.ofMillis(300),
              checkpoints,
              PostgresOfflineSink.exactlyOnce(PLAN, offlineUrl)
                  .withRowsPerStatement(500)
                  .servingOnline(onlineUri),
              RedisOnlineSink.exactlyOnce(PLAN, onlineUri).restoredOnly(),
              Duration.ofMinutes(3));

      Oracle oracle = data.oracle();
      Map<WindowKey, FeatureRow> offline = StoreContents.offlineCurrent(jdbcUrl, PLAN);
      long[] windows = oracle.windows();
      assertThat(offline).hasSize(windows.length);
      for (long i : windows) {
        FeatureRow want = data.row(i);
        assertThat(offline.get(WindowKey.of(want)))
            .as("latest version of row %d", i)
            .isEqualTo(want);
      }
      Map<String, Served> online = StoreContents.onlineServed(TestRedis.uri(REDIS_DB), PLAN);
      assertThat(online).hasSize(ENTITIES);
      for (long i : oracle.newestPerEntity()) {
        FeatureRow want = data.row(i);
        assertThat(online.get(want.entityKey()).row())
            .as("online row of row %d", i)
            .isEqualTo(want);
      }
      long served = ServedVersions.check(jdbcUrl, PLAN, online, List.of(cut));
      System.out.printf(
          "store outages: %,d rows in %d s through %d outages of %d s each (Postgres mid-offline"
              + " transaction, Redis as a commit began, both between the stores), %d job restarts;"
              + " connections through the proxies: Postgres %d, Redis %d; commits applied %s;"
              + " %,d offline versions served (visible_at set), %,d of them checked against"
              + " the online stamps seen when both stores went down, %,d at the end%n",
          ROWS,
          took.toSeconds(),
          outages.get(),
          OUTAGE.toSeconds(),
          PacedRowsJob.maxAttempt.get(),
          pgProxy.accepted(),
          redisProxy.accepted(),
          PacedRowsJob.commitsApplied,
          served,
          cut.size(),
          online.size());
      assertThat(outages).as("outages played").hasValue(3);
      assertThat(cut.size()).as("rows online when both stores went down").isPositive();
      assertThat(PacedRowsJob.commitsApplied)
          .as("the online sink commits nothing of its own")
          .containsOnlyKeys(Store.OFFLINE);
      assertThat(PacedRowsJob.restartCauses(flink)).as("what restarted the job").isEmpty();
      assertThat(PacedRowsJob.maxAttempt).as("job restarts").hasValue(0);
      assertThat(pgProxy.accepted()).as("Postgres sessions, reconnects included").isGreaterThan(2);
      assertThat(redisProxy.accepted())
          .as("Redis connections, reconnects included")
          .isGreaterThan(2);
    }
  }

  private static void flushRedis() {
    RedisClient client = RedisClient.create(TestRedis.uri(REDIS_DB));
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      c.sync().flushdb();
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }
}
