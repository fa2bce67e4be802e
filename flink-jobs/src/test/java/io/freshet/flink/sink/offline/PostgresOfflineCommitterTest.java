package io.freshet.flink.sink.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.CommitFaults.Point;
import io.freshet.flink.sink.CommitterContractTest;
import io.freshet.flink.sink.ExactlyOnceRowSink;
import io.freshet.flink.sink.RecordingCommitRequest;
import io.freshet.flink.sink.RecordingCommitRequest.Signal;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.flink.sink.StoreContents;
import io.freshet.flink.sink.StoreContents.Version;
import io.freshet.flink.sink.StoreContents.WindowKey;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.OfflineTables;
import io.freshet.offline.PostgresSessions;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestPostgres;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.connector.sink2.Committer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PostgresOfflineCommitterTest extends CommitterContractTest {
  private static final OfflineTable TABLE = OfflineTable.of(PLAN);
  private static String jdbcUrl;
  private static URI server;

  @BeforeAll
  static void database() {
    jdbcUrl = TestPostgres.freshDatabase("offline_commit");
    server = URI.create(jdbcUrl.substring("jdbc:".length()));
  }

  @AfterAll
  static void dropDatabase() throws Exception {
    String db = server.getPath().substring(1);
    StoreContents.execute(
        TestPostgres.adminUrl(), "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  }

  @Override
  protected ExactlyOnceRowSink sink(String host, int port, Backoff retries, int batch) {
    String url = jdbcUrl.replace(server.getHost() + ":" + server.getPort(), host + ":" + port);
    return PostgresOfflineSink.exactlyOnce(PLAN, url)
        .withRowsPerStatement(batch)
        .withRetries(retries);
  }

  @Override
  protected String storeHost() {
    return server.getHost();
  }

  @Override
  protected int storePort() {
    return server.getPort();
  }

  @Override
  protected void resetStore() throws Exception {
    StoreContents.execute(jdbcUrl, "DROP SCHEMA IF EXISTS freshet CASCADE");
  }

  @Override
  protected Map<Object, FeatureRow> stored() throws Exception {
    return new HashMap<>(StoreContents.offlineCurrent(jdbcUrl, PLAN));
  }

  @Override
  protected Map<Object, FeatureRow> expected(List<FeatureRow> rows) {
    Map<Object, FeatureRow> last = new HashMap<>();
    for (FeatureRow r : rows) {
      last.put(WindowKey.of(r), r);
    }
    return last;
  }

  @Override
  protected int openSessions() throws Exception {
    return (int)
        StoreContents.queryLong(
            jdbcUrl,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND application_name = '"
                + OfflineTable.WRITER_APPLICATION_NAME
                + "'");
  }

  @Override
  protected String breakPermanently() throws Exception {
    StoreContents.execute(jdbcUrl, "CREATE SCHEMA freshet");
    StoreContents.execute(
        jdbcUrl,
        "CREATE TABLE "
            + TABLE.qualifiedName()
            + " (entity_key text, feature_ts timestamptz, seq bigint, amount double precision,"
            + " platform text, products text[], committed_at timestamptz,"
            + " PRIMARY KEY (entity_key, feature_ts))");
    return "exists without the columns [superseded_at]: it was created by an older Freshet";
  }

  @Test
  void a_late_update_adds_a_version_and_what_readers_saw_before_stays_readable() throws Exception {
    FeatureRow first = row("u1", 1_000, 1L);
    FeatureRow other = row("u2", 1_000, 2L);
    Committer<RowCommittable> committer = committer();
    RecordingCommitRequest.commit(committer, committable(1, List.of(first, other)));
    Instant seenAt = databaseNow();

    FeatureRow late = row("u1", 1_000, 3L);
    FeatureRow same = row("u2", 1_000, 2L);
    RecordingCommitRequest.commit(committer, committable(2, List.of(late, same)));

    assertThat(StoreContents.offlineCurrent(jdbcUrl, PLAN))
        .containsOnly(Map.entry(WindowKey.of(late), late), Map.entry(WindowKey.of(other), other));
    assertThat(StoreContents.offlineAsOf(jdbcUrl, PLAN, seenAt))
        .containsOnly(Map.entry(WindowKey.of(first), first), Map.entry(WindowKey.of(other), other));
    List<Version> history = StoreContents.offlineHistory(jdbcUrl, PLAN);
    assertThat(history).extracting(Version::row).containsExactly(first, late, other);
    assertThat(history.get(0).supersededAt())
        .as("the first version ends when the second begins")
        .isEqualTo(history.get(1).committedAt());
    assertThat(history.get(1).supersededAt()).isNull();
    assertThat(history.get(2).supersededAt()).as("an equal row adds no version").isNull();
  }

  @Test
  void a_transaction_cut_off_midway_leaves_nothing_behind() throws Exception {
    failOnceAt(Point.MID_APPLY);
    try {
      RecordingCommitRequest.commit(committer(), committable(1, rows(0, 1000)));
    } catch (Exception expected) {
      // injected
    }
    assertThat(StoreContents.queryLong(jdbcUrl, "SELECT count(*) FROM " + TABLE.qualifiedName()))
        .isZero();
    assertThat(StoreContents.queryLong(jdbcUrl, "SELECT count(*) FROM freshet.sink_commits"))
        .isZero();
  }

  @Test
  void the_marker_records_table_job_subtask_checkpoint_and_rows() throws Exception {
    RowCommittable c = committable(42, rows(0, 300));
    RecordingCommitRequest.commit(committer(), c);
    try (Connection conn = DriverManager.getConnection(jdbcUrl);
        Statement s = conn.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT target, job_id, subtask, checkpoint_id, writer_id, row_count,"
                    + " committed_at = (SELECT max(committed_at) FROM "
                    + TABLE.qualifiedName()
                    + ") FROM freshet.sink_commits")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo(TABLE.tableName());
      assertThat(rs.getString(2)).isEqualTo(JOB);
      assertThat(rs.getInt(3)).isZero();
      assertThat(rs.getLong(4)).isEqualTo(42);
      assertThat(rs.getLong(5)).isEqualTo(c.id().writerId());
      assertThat(rs.getInt(6)).isEqualTo(c.rows().size());
      assertThat(rs.getBoolean(7)).as("marker and rows share the transaction time").isTrue();
      assertThat(rs.next()).isFalse();
    }
  }

  @Test
  void a_replay_whose_marker_is_gone_adds_no_version_for_unchanged_rows() throws Exception {
    RowCommittable c = committable(1, rows(0, 1000));
    RecordingCommitRequest.commit(committer(), c);
    List<Version> before = StoreContents.offlineHistory(jdbcUrl, PLAN);
    StoreContents.execute(jdbcUrl, "DELETE FROM freshet.sink_commits");
    assertThat(RecordingCommitRequest.commit(committer(), c)).isEqualTo(Signal.COMMITTED);
    assertThat(StoreContents.offlineHistory(jdbcUrl, PLAN)).isEqualTo(before);
  }

  @Test
  void old_markers_are_purged_after_their_retention() throws Exception {
    Committer<RowCommittable> committer =
        track(
            PostgresOfflineSink.exactlyOnce(PLAN, jdbcUrl)
                .withRetries(QUICK)
                .withMarkerRetention(java.time.Duration.ofHours(1)));
    RecordingCommitRequest.commit(committer, committable(1, rows(0, 10)));
    StoreContents.execute(
        jdbcUrl, "UPDATE freshet.sink_commits SET committed_at = now() - interval '2 hours'");
    Committer<RowCommittable> fresh =
        track(
            PostgresOfflineSink.exactlyOnce(PLAN, jdbcUrl)
                .withRetries(QUICK)
                .withMarkerRetention(java.time.Duration.ofHours(1)));
    RecordingCommitRequest.commit(fresh, committable(2, rows(10, 20)));
    try (Connection conn = DriverManager.getConnection(jdbcUrl);
        Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("SELECT checkpoint_id FROM freshet.sink_commits")) {
      Map<Long, Boolean> left = new LinkedHashMap<>();
      while (rs.next()) {
        left.put(rs.getLong(1), true);
      }
      assertThat(left).containsOnlyKeys(2L);
    }
  }

  /**
   * Two subtasks of a new view start together: one creates the tables, the other waits for it and
   * must then find them, not run the DDL again. A {@code CREATE INDEX IF NOT EXISTS} would take a
   * share lock on tables the first one already commits into, and the two deadlock.
   */
  @Test
  void a_session_that_waited_while_another_created_the_tables_locks_no_table() throws Exception {
    try (Connection creator = PostgresSessions.open(jdbcUrl, "freshet-test-creator");
        Connection waiter = PostgresSessions.open(jdbcUrl, "freshet-test-waiter");
        Statement onCreator = creator.createStatement();
        Statement onWaiter = waiter.createStatement()) {
      onWaiter.execute("SET lock_timeout = '10s'");
      long waiterPid = backendPid(waiter);
      onCreator.execute("SELECT pg_advisory_lock(hashtext('freshet.ddl'))");
      CompletableFuture<Void> waiting =
          CompletableFuture.runAsync(
              () -> {
                try {
                  OfflineTables.ensure(
                      waiter, TABLE, PostgresSessions.dataSource(jdbcUrl, "freshet-test-waiter"));
                } catch (SQLException e) {
                  throw new CompletionException(e);
                }
              });
      StoreContents.eventually(
          Duration.ofSeconds(60),
          () -> {
            try {
              assertThat(
                      StoreContents.queryLong(
                          jdbcUrl,
                          "SELECT count(*) FROM pg_stat_activity WHERE pid = "
                              + waiterPid
                              + " AND wait_event = 'advisory'"))
                  .as("the waiter waits for the DDL lock")
                  .isOne();
            } catch (SQLException e) {
              throw new AssertionError(e);
            }
          });

      OfflineTables.ensure(
          creator, TABLE, PostgresSessions.dataSource(jdbcUrl, "freshet-test-creator"));
      creator.setAutoCommit(false);
      onCreator.execute(
          "LOCK TABLE "
              + TABLE.qualifiedName()
              + ", freshet.sink_commits IN ROW EXCLUSIVE MODE"); // as a commit in progress holds
      onCreator.execute("SELECT pg_advisory_unlock(hashtext('freshet.ddl'))");

      try {
        waiting.get(5, TimeUnit.MINUTES);
      } finally {
        creator.rollback();
      }
    }
  }

  private static long backendPid(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static FeatureRow row(String entity, long minute, long seq) {
    return new FeatureRow(
        entity, 1_767_225_600_000L + minute * 60_000, new Object[] {seq, 1.5, "ios", List.of("a")});
  }

  private static Instant databaseNow() throws Exception {
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT now()")) {
      rs.next();
      return rs.getTimestamp(1).toInstant();
    }
  }
}
