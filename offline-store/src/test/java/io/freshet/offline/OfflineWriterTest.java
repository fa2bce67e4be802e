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
