package io.freshet.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.flink.sink.GeneratedRows.Oracle;
import io.freshet.flink.sink.PacedRowsJob.Fault;
import io.freshet.flink.sink.ServedVersions.Observations;
import io.freshet.flink.sink.StoreContents.Served;
import io.freshet.flink.sink.StoreContents.Version;
import io.freshet.flink.sink.StoreContents.WindowKey;
import io.freshet.flink.sink.offline.PostgresOfflineSink;
import io.freshet.flink.sink.online.RedisOnlineSink;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A million rows through the rows sinks as the job compiler wires a window-end view (one committer
 * writing each checkpoint online, then offline with the instants the online table serves the rows
 * from; the old online sink kept for restored savepoints only) while failures are injected at every
 * kind of point: between rows, at the checkpoint barrier, right after a checkpoint completed, and
 * inside the committer before applying a checkpoint's rows, between its online write and its
 * offline transaction, in the middle of that transaction and after it. In the end both stores equal
 * an oracle computed from the generated stream alone: no duplicate, missing or wrong row, and no
 * version in the offline history that a replay added. And the offline history records what the
 * online table served: each version's {@code visible_at} is the stamp the online table held with it
 * whenever it was seen there (in the end, while the job ran, and at each commit cut off between the
 * stores), and each entity's served versions follow one another in time.
 *
 * <p>A smaller run drives the two separate sinks jobs had before, whose savepoints the online sink
 * still commits ({@link RedisOnlineSink#restoredOnly}), with failures inside both committers.
 */
class ExactlyOnceFailureInjectionTest {
  /** Rows through the job: 50 s of fresh data at the rate below, plus what failures replay. */
  static final long ROWS = 1_000_000;

  /** Rows through the job with separate sinks. */
  static final long SEPARATE_SINK_ROWS = 300_000;

  static final int ENTITIES = 2_000;
  static final int ROWS_PER_SECOND = 20_000;
  static final int FAULTS_PER_KIND = 3;
  static final Duration CHECKPOINT_INTERVAL = Duration.ofMillis(300);
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

  private String jdbcUrl;

  @BeforeEach
  void stores() {
    jdbcUrl = TestPostgres.freshDatabase("exactly_once");
    flushRedis();
  }

  @AfterEach
  void dropStores() throws Exception {
    CommitFaults.uninstall();
    flushRedis();
    String db = URI.create(jdbcUrl.substring(5)).getPath().substring(1);
    StoreContents.execute(
        TestPostgres.adminUrl(), "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  }

  @Test
  void both_stores_equal_the_oracle_and_visible_at_the_online_stamps_after_injected_failures()
      throws Exception {
    GeneratedRows data = new GeneratedRows(ENTITIES, ROWS);
    PacedRowsJob.planFaults(FAULTS_PER_KIND, ROWS / 20, ROWS * 3 / 4, 20261123L);
    List<String> threadsBefore = StoreContents.lettuceThreads();

    Observations seen = new Observations();
    Observations cut = new Observations();
    AtomicInteger cuts = new AtomicInteger();
    PacedRowsJob.beforeInjected =
        (store, point, committable) -> {
          if (point != CommitFaults.Point.BETWEEN_STORES) {
            return;
          }
          cuts.incrementAndGet();
          cut.addRowsOf(committable, TestRedis.uri(REDIS_DB), PLAN);
        };
    Thread sampler =
        new Thread(
            () -> seen.sampleUntilInterrupted(TestRedis.uri(REDIS_DB), PLAN), "online-sampler");
    sampler.start();
    Duration took;
    try {
      took =
          PacedRowsJob.run(
              data,
              ROWS_PER_SECOND,
              CHECKPOINT_INTERVAL,
              checkpoints,
              PostgresOfflineSink.exactlyOnce(PLAN, jdbcUrl)
                  .withRowsPerStatement(500)
                  .servingOnline(TestRedis.uri(REDIS_DB))
                  .withRowsPerScript(100),
              RedisOnlineSink.exactlyOnce(PLAN, TestRedis.uri(REDIS_DB)).restoredOnly(),
              Duration.ofMinutes(10));
    } finally {
      sampler.interrupt();
      sampler.join();
    }

    Oracle oracle = data.oracle();
    Map<WindowKey, FeatureRow> current = checkOffline(data, oracle);
    History history = checkHistory(data, oracle);
    Map<String, Served> online = StoreContents.onlineServed(TestRedis.uri(REDIS_DB), PLAN);
    checkOnline(data, oracle, online);
    long served = ServedVersions.check(jdbcUrl, PLAN, online, List.of(seen, cut));

    long markers = markers();
    Map<Fault, Integer> fired = firedPerKind();
    System.out.printf(
        "exactly-once under failure, rows sink serving online: %,d rows generated, %,d passed the"
            + " source (replays included) in %d s; %d checkpoints completed, %d restarts; faults"
            + " fired %d of %d: %s; commits applied %s, replays skipped as already committed %s;"
            + " offline: %,d latest rows, %,d versions (%,d windows updated late), %,d served"
            + " (visible_at set), %,d commit markers; online: %,d keys; visible_at equal to the"
            + " online stamp for %,d rows seen online while the job ran (%,d passes), %,d rows"
            + " online after %d commits cut off between the stores, %,d rows online at the end%n",
        ROWS,
        PacedRowsJob.rowsEmitted.get(),
        took.toSeconds(),
        PacedRowsJob.checkpointsCompleted.get(),
        PacedRowsJob.maxAttempt.get(),
        PacedRowsJob.faultsFired(),
        PacedRowsJob.faultsPlanned(),
        fired,
        PacedRowsJob.commitsApplied,
        PacedRowsJob.replaysSkipped,
        current.size(),
        history.versions(),
        history.windowsWithHistory(),
        served,
        markers,
        online.size(),
        seen.size(),
        seen.passes.get(),
        cut.size(),
        cuts.get(),
        online.size());

    assertThat(PacedRowsJob.faultsFired())
        .as("faults fired")
        .isEqualTo(PacedRowsJob.faultsPlanned())
        .isGreaterThanOrEqualTo(20);
    assertThat(fired).as("faults fired per kind").containsOnlyKeys(PacedRowsJob.ROW_FAULTS);
    assertThat(cuts).as("commits cut off between the stores").hasValue(FAULTS_PER_KIND);
    assertThat(PacedRowsJob.replaysSkipped)
        .as("replays recognised by their marker: one committer, store OFFLINE")
        .containsOnlyKeys(CommitFaults.Store.OFFLINE);
    assertThat(PacedRowsJob.commitsApplied)
        .as("the online sink commits nothing of its own")
        .containsOnlyKeys(CommitFaults.Store.OFFLINE);
    assertThat(history.windowsWithHistory()).as("windows with more than one version").isPositive();
    assertThat(seen.size()).as("rows seen online while the job ran").isPositive();
    noSessionsLeft(threadsBefore);
  }

  @Test
  void separate_offline_and_online_sinks_equal_the_oracle_after_injected_failures()
      throws Exception {
    GeneratedRows data = new GeneratedRows(ENTITIES, SEPARATE_SINK_ROWS);
    PacedRowsJob.planFaults(
        PacedRowsJob.SEPARATE_SINK_FAULTS,
        1,
        SEPARATE_SINK_ROWS / 20,
        SEPARATE_SINK_ROWS * 3 / 4,
        20261203L);
    List<String> threadsBefore = StoreContents.lettuceThreads();

    Duration took =
        PacedRowsJob.run(
            data,
            ROWS_PER_SECOND,
            CHECKPOINT_INTERVAL,
            checkpoints,
            PostgresOfflineSink.exactlyOnce(PLAN, jdbcUrl).withRowsPerStatement(500),
            RedisOnlineSink.exactlyOnce(PLAN, TestRedis.uri(REDIS_DB)).withRowsPerScript(100),
            Duration.ofMinutes(5));

    Oracle oracle = data.oracle();
    Map<WindowKey, FeatureRow> current = checkOffline(data, oracle);
    History history = checkHistory(data, oracle);
    Map<String, Served> online = StoreContents.onlineServed(TestRedis.uri(REDIS_DB), PLAN);
    checkOnline(data, oracle, online);

    Map<Fault, Integer> fired = firedPerKind();
    System.out.printf(
        "exactly-once under failure, separate sinks: %,d rows generated, %,d passed the source"
            + " (replays included) in %d s; %d restarts; faults fired %d of %d: %s; replays"
            + " skipped as already committed %s; offline: %,d latest rows, %,d versions; online:"
            + " %,d keys%n",
        SEPARATE_SINK_ROWS,
        PacedRowsJob.rowsEmitted.get(),
        took.toSeconds(),
        PacedRowsJob.maxAttempt.get(),
        PacedRowsJob.faultsFired(),
        PacedRowsJob.faultsPlanned(),
        fired,
        PacedRowsJob.replaysSkipped,
        current.size(),
        history.versions(),
        online.size());

    assertThat(PacedRowsJob.faultsFired())
        .as("faults fired")
        .isEqualTo(PacedRowsJob.faultsPlanned());
    assertThat(fired)
        .as("faults fired per kind")
        .containsOnlyKeys(PacedRowsJob.SEPARATE_SINK_FAULTS);
    assertThat(PacedRowsJob.replaysSkipped)
        .as("replays recognised by their marker, per store")
        .containsOnlyKeys(CommitFaults.Store.OFFLINE, CommitFaults.Store.ONLINE);
    assertThat(StoreContents.offlineHistory(jdbcUrl, PLAN))
        .as("versions written without serving online have no visible_at")
        .allSatisfy(v -> assertThat(v.visibleAtMicros()).isNull());
    noSessionsLeft(threadsBefore);
  }

  /** The latest offline version of every window is the oracle's row. */
  private Map<WindowKey, FeatureRow> checkOffline(GeneratedRows data, Oracle oracle)
      throws Exception {
    Map<WindowKey, FeatureRow> current = StoreContents.offlineCurrent(jdbcUrl, PLAN);
    long[] windows = oracle.windows();
    assertThat(current).as("latest offline rows").hasSize(windows.length);
    for (long i : windows) {
      FeatureRow want = data.row(i);
      assertThat(current.get(WindowKey.of(want))).as("latest version of row %d", i).isEqualTo(want);
    }
    assertThat(
            StoreContents.queryLong(
                jdbcUrl, "SELECT count(*) FROM freshet.sink_commits WHERE checkpoint_id < 1"))
        .as("markers without a real checkpoint id")
        .isZero();
    return current;
  }

  /** Every entity's online row is the oracle's newest row of the entity. */
  private static void checkOnline(GeneratedRows data, Oracle oracle, Map<String, Served> online) {
    assertThat(online).as("online rows").hasSize(ENTITIES);
    for (long i : oracle.newestPerEntity()) {
      FeatureRow want = data.row(i);
      assertThat(online.get(want.entityKey()).row()).as("online row of row %d", i).isEqualTo(want);
    }
  }

  private long markers() throws Exception {
    return StoreContents.queryLong(jdbcUrl, "SELECT count(*) FROM freshet.sink_commits");
  }

  private static Map<Fault, Integer> firedPerKind() {
    Map<Fault, Integer> fired = new EnumMap<>(Fault.class);
    PacedRowsJob.fired.forEach((f, n) -> fired.put(f, n.get()));
    return fired;
  }

  private void noSessionsLeft(List<String> threadsBefore) throws InterruptedException {
    StoreContents.eventually(
        Duration.ofSeconds(10),
        () -> {
          try {
            assertThat(
                    StoreContents.queryLong(
                        jdbcUrl,
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                            + " AND application_name = '"
                            + OfflineTable.WRITER_APPLICATION_NAME
                            + "'"))
                .as("sink sessions left open")
                .isZero();
          } catch (Exception e) {
            throw new AssertionError(e);
          }
          assertThat(StoreContents.lettuceThreads()).isSubsetOf(threadsBefore);
        });
  }

  private record History(long versions, long windowsWithHistory) {}

  /**
   * Every version is a real row of its window, versions follow the stream's order, each ends when
   * the next begins, and only the last is current: a replay that added a version would break one of
   * these.
   */
  private History checkHistory(GeneratedRows data, Oracle oracle) throws Exception {
    List<Version> versions = StoreContents.offlineHistory(jdbcUrl, PLAN);
    long withHistory = 0;
    int start = 0;
    while (start < versions.size()) {
      FeatureRow first = versions.get(start).row();
      int end = start + 1;
      while (end < versions.size()
          && WindowKey.of(versions.get(end).row()).equals(WindowKey.of(first))) {
        end++;
      }
      long previousSeq = -1;
      for (int v = start; v < end; v++) {
        Version version = versions.get(v);
        long seq = (Long) version.row().values()[0];
        assertThat(version.row())
            .as("version %d of %s", v - start, WindowKey.of(first))
            .isEqualTo(data.row(seq));
        assertThat(seq)
            .as("versions of %s in stream order", WindowKey.of(first))
            .isGreaterThan(previousSeq);
        previousSeq = seq;
        if (v + 1 < end) {
          assertThat(version.supersededAt())
              .as("version %d of %s ends when the next begins", v - start, WindowKey.of(first))
              .isEqualTo(versions.get(v + 1).committedAt());
        } else {
          assertThat(version.supersededAt()).isNull();
        }
      }
      if (end - start > 1) {
        withHistory++;
      }
      start = end;
    }
    Objects.requireNonNull(oracle);
    return new History(versions.size(), withHistory);
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
