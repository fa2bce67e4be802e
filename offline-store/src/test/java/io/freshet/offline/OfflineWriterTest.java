package io.freshet.offline;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.lastK;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestPostgres;
import java.io.IOException;
import java.net.SocketException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Marker and rows in one transaction, replays recognised, and errors sorted into wait or fail. */
class OfflineWriterTest {
  private static final SlidingWindow HOUR =
      SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
  private static final OfflineTable TABLE =
      OfflineTable.of(
          ViewPlan.of(
              FeatureView.named("clicks")
                  .source(KafkaJsonSource.topic("clicks").keyedBy("user_id").eventTimeField("ts"))
                  .feature(Feature.named("n").aggregate(count()).over(HOUR))
                  .feature(Feature.named("pages").aggregate(lastK("page", 3)).over(HOUR))
                  .build()));

  /** A table of its own for the test that reads every version back. */
  private static final OfflineTable MIXED =
      OfflineTable.of(
          ViewPlan.of(
              FeatureView.named("mixed_batches")
                  .source(KafkaJsonSource.topic("clicks").keyedBy("user_id").eventTimeField("ts"))
                  .feature(Feature.named("n").aggregate(count()).over(HOUR))
                  .feature(Feature.named("pages").aggregate(lastK("page", 3)).over(HOUR))
                  .build()));

  private static final long T1 = Instant.parse("2026-11-20T12:00:00Z").toEpochMilli();
  private static final OfflineWriter.Progress QUIET =
      new OfflineWriter.Progress() {
        @Override
        public void beforeBatch() {}

        @Override
        public void halfWritten() {}
      };

  private static String url;

  @BeforeAll
  static void database() {
    url = TestPostgres.freshDatabase("offline_writer");
  }

  @Test
  void a_committable_is_applied_once_and_its_replay_writes_nothing() throws Exception {
    SinkCommits.Marker marker = new SinkCommits.Marker("job", 0, 1, 7);
    List<FeatureRow> rows =
        List.of(
            new FeatureRow("u1", T1, new Object[] {1L, List.of("a")}),
            new FeatureRow("u2", T1, new Object[] {2L, List.of("b", "c")}));
    try (OfflineWriter writer = new OfflineWriter(TABLE, url, 1, Duration.ofDays(7))) {
      assertThat(writer.apply(rows, marker, QUIET)).isEqualTo(OfflineWriter.Outcome.APPLIED);
      assertThat(writer.apply(rows, marker, QUIET))
          .isEqualTo(OfflineWriter.Outcome.ALREADY_COMMITTED);
    }
    try (OfflineSession session = OfflineSession.open(url, "freshet-test")) {
      assertThat(session.latestCurrentRow(TABLE, "u2")).isEqualTo(rows.get(1));
      assertThat(session.counts(TABLE)).isEqualTo(new OfflineTables.VersionCounts(2, 0));
    }
  }

  @Test
  void a_transaction_stopped_halfway_leaves_neither_rows_nor_marker() throws Exception {
    List<FeatureRow> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(new FeatureRow("h" + i, T1, new Object[] {(long) i, List.of()}));
    }
    SinkCommits.Marker marker = new SinkCommits.Marker("job", 0, 2, 7);
    try (OfflineWriter writer = new OfflineWriter(TABLE, url, 2, Duration.ofDays(7))) {
      try {
        writer.apply(
            rows,
            marker,
            new OfflineWriter.Progress() {
              @Override
              public void beforeBatch() {}

              @Override
              public void halfWritten() throws IOException {
                throw new IOException("stopped");
              }
            });
      } catch (IOException expected) {
        // stopped
      }
      assertThat(writer.apply(rows, marker, QUIET)).isEqualTo(OfflineWriter.Outcome.APPLIED);
    }
  }

  @Test
  void a_batch_that_closes_no_version_and_one_that_does_are_both_applied_in_full()
      throws Exception {
    // Batches of two rows, in lock order: (s0, s1) only equal rows, one of them now served;
    // (s2, s3) one changed row; (s4, s5) new rows. The second commit must close s2's version and
    // add its new one, set s0's visible_at, and add s4 and s5.
    List<FeatureRow> first = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      first.add(new FeatureRow("s" + i, T1, new Object[] {(long) i, List.of("p" + i)}));
    }
    long[] firstVisible = {-1, 5_000_000L, 6_000_000L, -1};
    List<FeatureRow> second = new ArrayList<>(first);
    second.set(2, new FeatureRow("s2", T1, new Object[] {20L, List.of("changed")}));
    second.add(new FeatureRow("s5", T1, new Object[] {5L, null}));
    second.add(new FeatureRow("s4", T1, new Object[] {null, List.of()}));
    long[] secondVisible = {7_000_001L, 8_000_000L, 9_000_000L, -1, 10_000_000L, -1};
    try (OfflineWriter writer = new OfflineWriter(MIXED, url, 2, Duration.ofDays(7))) {
      assertThat(writer.apply(first, firstVisible, new SinkCommits.Marker("mix", 0, 1, 7), QUIET))
          .isEqualTo(OfflineWriter.Outcome.APPLIED);
      assertThat(writer.apply(second, secondVisible, new SinkCommits.Marker("mix", 0, 2, 7), QUIET))
          .isEqualTo(OfflineWriter.Outcome.APPLIED);
    }
    try (OfflineSession session = OfflineSession.open(url, "freshet-test")) {
      for (FeatureRow row : second) {
        assertThat(session.latestCurrentRow(MIXED, row.entityKey())).isEqualTo(row);
      }
    }
    List<String> history = new ArrayList<>();
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url);
        java.sql.Statement s = c.createStatement();
        java.sql.ResultSet r =
            s.executeQuery(
                "SELECT entity_key, n, superseded_at IS NOT NULL,"
                    + " (extract(epoch from visible_at) * 1000000)::bigint FROM "
                    + MIXED.qualifiedName()
                    + " ORDER BY entity_key, committed_at")) {
      while (r.next()) {
        history.add(
            r.getString(1)
                + " n="
                + r.getObject(2)
                + (r.getBoolean(3) ? " superseded" : " current")
                + " visible="
                + r.getObject(4));
      }
    }
    assertThat(history)
        .containsExactly(
            "s0 n=0 current visible=7000001",
            "s1 n=1 current visible=5000000",
            "s2 n=2 superseded visible=6000000",
            "s2 n=20 current visible=9000000",
            "s3 n=3 current visible=null",
            "s4 n=null current visible=null",
            "s5 n=5 current visible=10000000");
  }

  @Test
  void connection_resource_and_lock_errors_are_worth_waiting_for() {
    assertThat(OfflineWriter.isTransient(new SQLException("gone", "08006"))).isTrue();
    assertThat(OfflineWriter.isTransient(new SQLException("full", "53100"))).isTrue();
    assertThat(OfflineWriter.isTransient(new SQLException("deadlock", "40P01"))).isTrue();
    assertThat(OfflineWriter.isTransient(new SQLTransientConnectionException("x"))).isTrue();
    assertThat(OfflineWriter.isTransient(new IOException(new SocketException("reset")))).isTrue();
    assertThat(OfflineWriter.isTransient(new SQLException("denied", "42501"))).isFalse();
    assertThat(OfflineWriter.isTransient(new IOException("injected"))).isFalse();
  }

  @Test
  void a_missing_privilege_is_explained_with_the_grants_it_needs() {
    OfflineWriter writer = new OfflineWriter(TABLE, url, 1, Duration.ofDays(7));
    assertThat(writer.explain(new SQLException("permission denied", "42501")))
        .isEqualTo(
            "permission denied (SQLState 42501); the role lacks a privilege: grant it SELECT,"
                + " INSERT, UPDATE on "
                + TABLE.qualifiedName()
                + " and SELECT, INSERT, DELETE on freshet.sink_commits, or create both in advance");
    assertThat(writer.explain(new IOException("injected"))).isEqualTo("injected");
  }
}
