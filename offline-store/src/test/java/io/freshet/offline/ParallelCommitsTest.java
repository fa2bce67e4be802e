package io.freshet.offline;

import static io.freshet.dsl.Aggregation.count;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import io.freshet.testing.TestPostgres;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Committers of parallel subtasks commit into one offline table and one marker table at the same
 * instant, round after round, and Postgres never has to break a deadlock between them.
 *
 * <p>Each round starts all committers at a barrier. A deadlock needs two transactions that each
 * hold a lock the other wants next; with thousands of shared rows in independent orders nearly
 * every pair of overlapping transactions gets there (the first lock each takes is almost surely one
 * the other reaches later), so without one lock order the first round already deadlocks.
 */
class ParallelCommitsTest {
  private static final OfflineTable TABLE =
      OfflineTable.of(
          ViewPlan.of(
              FeatureView.named("parallel_commits")
                  .source(KafkaJsonSource.topic("clicks").keyedBy("user_id").eventTimeField("ts"))
                  .feature(
                      Feature.named("n")
                          .aggregate(count())
                          .over(SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15))))
                  .build()));
  private static final long WINDOW_END = 1_767_225_600_000L;
  private static final int COMMITTERS = 4;
  private static final int ROUNDS = 3;
  private static final int SHARED_ROWS = 2_000;
  private static final OfflineWriter.Progress QUIET =
      new OfflineWriter.Progress() {
        @Override
        public void beforeBatch() {}

        @Override
        public void halfWritten() {}
      };

  private static String url;
  private static ExecutorService pool;

  @BeforeAll
  static void database() {
    url = TestPostgres.freshDatabase("parallel_commits");
    pool = Executors.newFixedThreadPool(COMMITTERS);
  }

  @AfterAll
  static void stop() {
    pool.shutdownNow();
  }

  /**
   * Four committers commit the same 2,000 rows, each committable in its own order, with new values
   * every round so that every row is superseded (as when two jobs write the same view version, or a
   * restored committable meets the live one). Every transaction must succeed at its first attempt.
   */
  @Test
  void committers_sharing_rows_in_any_order_never_deadlock() throws Exception {
    ConcurrentLinkedQueue<SQLException> errors = new ConcurrentLinkedQueue<>();
    CyclicBarrier together = new CyclicBarrier(COMMITTERS);
    List<Callable<Void>> committers = new ArrayList<>();
    for (int s = 0; s < COMMITTERS; s++) {
      int subtask = s;
      committers.add(
          () -> {
            try (OfflineWriter writer = new OfflineWriter(TABLE, url, 500, Duration.ofDays(7))) {
              for (int round = 1; round <= ROUNDS; round++) {
                List<FeatureRow> rows = new ArrayList<>();
                for (int k = 0; k < SHARED_ROWS; k++) {
                  rows.add(
                      new FeatureRow(
                          "user-" + k, WINDOW_END, new Object[] {round * 100L + subtask}));
                }
                Collections.shuffle(rows, new Random(round * 31L + subtask));
                together.await();
                try {
                  writer.apply(rows, new SinkCommits.Marker("job", subtask, round, 7), QUIET);
                } catch (SQLException e) {
                  errors.add(e);
                }
              }
            }
            return null;
          });
    }
    runAll(committers);

    assertThat(errors)
        .as("errors of the committers' transactions (40P01: deadlock detected)")
        .extracting(SQLException::getSQLState)
        .isEmpty();
    try (OfflineSession session = OfflineSession.open(url, "freshet-test")) {
      assertThat(session.counts(TABLE))
          .as("one current version per row, one more version per committed transaction")
          .isEqualTo(
              new OfflineTables.VersionCounts(
                  (long) SHARED_ROWS * COMMITTERS * ROUNDS,
                  (long) SHARED_ROWS * (COMMITTERS * ROUNDS - 1)));
    }
  }

  /**
   * Four tile committers insert the same 2,000 new tile versions, each in its own order, as a
   * replay next to the live commit does. Each version is stored once; every transaction must
   * succeed at its first attempt.
   */
  @Test
  void tile_committers_sharing_versions_in_any_order_never_deadlock() throws Exception {
    TileTable tiles =
        TileTable.of(
            ViewPlan.of(
                FeatureView.named("parallel_tiles")
                    .source(KafkaJsonSource.topic("clicks").keyedBy("user_id").eventTimeField("ts"))
                    .feature(
                        Feature.named("n")
                            .aggregate(count())
                            .over(SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15))))
                    .servedAtRequestTime(Duration.ofMinutes(1))
                    .build()));
    ConcurrentLinkedQueue<Exception> errors = new ConcurrentLinkedQueue<>();
    CyclicBarrier together = new CyclicBarrier(COMMITTERS);
    List<Callable<Void>> committers = new ArrayList<>();
    for (int s = 0; s < COMMITTERS; s++) {
      int subtask = s;
      committers.add(
          () -> {
            try (OfflineTileWriter writer =
                new OfflineTileWriter(tiles, url, 500, Duration.ofDays(7))) {
              for (int round = 1; round <= ROUNDS; round++) {
                List<Tile> versions = new ArrayList<>();
                for (int k = 0; k < SHARED_ROWS; k++) {
                  versions.add(new Tile("user-" + k, WINDOW_END, round, new byte[] {1}));
                }
                Collections.shuffle(versions, new Random(round * 31L + subtask));
                long[] visible = new long[versions.size()];
                Arrays.fill(visible, -1);
                together.await();
                try {
                  writer.apply(
                      versions, visible, new SinkCommits.Marker("job", subtask, round, 7), QUIET);
                } catch (SQLException e) {
                  errors.add(e);
                }
              }
            }
            return null;
          });
    }
    runAll(committers);

    assertThat(errors)
        .as("errors of the committers' transactions (40P01: deadlock detected)")
        .extracting(e -> ((SQLException) e).getSQLState())
        .isEmpty();
    try (Connection c = PostgresSessions.open(url, "freshet-test");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + tiles.qualifiedName())) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo((long) SHARED_ROWS * ROUNDS);
    }
  }

  /**
   * Committers purge old markers at once, as every subtask does after its first commit and every
   * ten minutes from then on, and Postgres plans their DELETEs differently: two walk the age index
   * ({@code committed_at} order), two read the table in physical order, which differs from it (the
   * markers' {@code committed_at} is shuffled against their place in the heap, as once VACUUM
   * reuses the space of purged markers). The sessions are told so through planner settings; the
   * planner picks either plan by itself, by statistics and by custom or generic plan. Every purge
   * must succeed, and together they must delete every old marker.
   */
  @Test
  void purges_planned_differently_never_deadlock() throws Exception {
    String indexOrder = withOptions(url, "-c enable_seqscan=off -c enable_bitmapscan=off");
    String heapOrder = withOptions(url, "-c enable_indexscan=off -c enable_bitmapscan=off");
    String target = "purge_target";
    try (OfflineWriter creator = new OfflineWriter(TABLE, url, 500, Duration.ofDays(7))) {
      creator.hasMarker(new SinkCommits.Marker("job", 0, 0, 0)); // creates the marker table
    }
    ConcurrentLinkedQueue<SQLException> errors = new ConcurrentLinkedQueue<>();
    for (int round = 1; round <= ROUNDS; round++) {
      int old = 20_000;
      execute(
          "INSERT INTO "
              + SinkCommits.TABLE
              + " (target, job_id, subtask, checkpoint_id, writer_id, row_count, committed_at)"
              + " SELECT '"
              + target
              + "', 'old-job', c % 4, c, 7, 10,"
              + " now() - interval '9 days' + random() * interval '1 day'"
              + " FROM generate_series(1, "
              + old
              + ") c");
      CyclicBarrier together = new CyclicBarrier(COMMITTERS);
      ConcurrentLinkedQueue<Integer> deleted = new ConcurrentLinkedQueue<>();
      List<Callable<Void>> purgers = new ArrayList<>();
      for (int s = 0; s < COMMITTERS; s++) {
        String sessionUrl = s % 2 == 0 ? indexOrder : heapOrder;
        purgers.add(
            () -> {
              try (Connection c = PostgresSessions.open(sessionUrl, "freshet-test")) {
                c.setAutoCommit(false);
                together.await();
                try {
                  deleted.add(SinkCommits.purge(c, target, Duration.ofDays(7)));
                  c.commit();
                } catch (SQLException e) {
                  c.rollback();
                  errors.add(e);
                }
              }
              return null;
            });
      }
      runAll(purgers);
      assertThat(errors)
          .as("errors of the purges (40P01: deadlock detected)")
          .extracting(SQLException::getSQLState)
          .isEmpty();
      assertThat(deleted.stream().mapToInt(Integer::intValue).sum()).isEqualTo(old);
    }
  }

  private static String withOptions(String jdbcUrl, String options) {
    return jdbcUrl
        + (jdbcUrl.contains("?") ? "&" : "?")
        + "options="
        + URLEncoder.encode(options, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static void runAll(List<Callable<Void>> tasks) throws Exception {
    List<Future<Void>> running = new ArrayList<>();
    for (Callable<Void> t : tasks) {
      running.add(pool.submit(t));
    }
    for (Future<Void> f : running) {
      f.get();
    }
  }

  static void execute(String sql) throws SQLException {
    try (Connection c = PostgresSessions.open(url, "freshet-test");
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
