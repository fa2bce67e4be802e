package io.freshet.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.flink.sink.ExactlyOnceRowSink.Keep;
import io.freshet.flink.sink.RecordingCommitRequest.Signal;
import io.freshet.flink.sink.StoreContents.WindowKey;
import io.freshet.flink.sink.offline.PostgresOfflineSink;
import io.freshet.flink.sink.rejected.PostgresRejectedEventsSink;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.flink.source.RejectedEvent.Kind;
import io.freshet.offline.PostgresSessions;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestPostgres;
import java.net.URI;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.LongStream;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On a Flink session cluster the Postgres driver comes with the job jar, in Flink's user-code class
 * loader, and {@link DriverManager} does not hand it out ("No suitable driver found"). Here the
 * driver is taken out of {@code DriverManager} while the job's Postgres code runs: each sink still
 * reaches the real Postgres and writes what it was given.
 */
class PostgresWithoutDriverManagerTest {
  private static final String JOB = "00112233445566778899aabbccddeeff";
  private static String jdbcUrl;

  @BeforeAll
  static void database() {
    jdbcUrl = TestPostgres.freshDatabase("no_driver_manager");
  }

  @AfterAll
  static void dropDatabase() throws Exception {
    String db = URI.create(jdbcUrl.substring("jdbc:".length())).getPath().substring(1);
    StoreContents.execute(
        TestPostgres.adminUrl(), "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  }

  @Test
  void offline_sink_commits_while_driver_manager_has_no_postgres_driver() throws Exception {
    GeneratedRows data = new GeneratedRows(20, 300);
    List<FeatureRow> rows = LongStream.range(0, 300).mapToObj(data::row).toList();
    CheckpointRowWriter writer =
        new CheckpointRowWriter(
            RowCommittable.viewOf(GeneratedRows.PLAN),
            Keep.LAST_PER_WINDOW,
            new CommitId(JOB, 0, CommitId.UNSTAMPED, 1));
    rows.forEach(r -> writer.write(r, null));
    RowCommittable committable = writer.prepareCommit().iterator().next().withCheckpoint(1);

    Signal signal =
        withoutPostgresInDriverManager(
            () -> {
              try (Committer<RowCommittable> committer =
                  PostgresOfflineSink.exactlyOnce(GeneratedRows.PLAN, jdbcUrl)
                      .createCommitter(null)) {
                return RecordingCommitRequest.commit(committer, committable);
              }
            });

    assertThat(signal).isEqualTo(Signal.COMMITTED);
    Map<WindowKey, FeatureRow> lastPerWindow = new HashMap<>();
    rows.forEach(r -> lastPerWindow.put(WindowKey.of(r), r));
    assertThat(StoreContents.offlineCurrent(jdbcUrl, GeneratedRows.PLAN)).isEqualTo(lastPerWindow);
  }

  @Test
  void rejected_events_sink_keeps_events_while_driver_manager_has_no_postgres_driver()
      throws Exception {
    List<RejectedEvent> events =
        List.of(
            new RejectedEvent(
                "user_activity", Kind.DEAD_LETTER, "not JSON", "{oops", "user-events/0@17", null),
            new RejectedEvent(
                "user_activity",
                Kind.LATE,
                "window already final",
                "{\"user_id\":\"u1\"}",
                "user-events/1@4",
                1_767_225_600_000L));

    withoutPostgresInDriverManager(
        () -> {
          StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
          env.setParallelism(1);
          env.fromData(RejectedEvent.class, events.toArray(RejectedEvent[]::new))
              .sinkTo(PostgresRejectedEventsSink.create(jdbcUrl));
          env.execute("rejected events without DriverManager");
          return null;
        });

    assertThat(
            StoreContents.queryLong(
                jdbcUrl,
                "SELECT count(*) FROM "
                    + PostgresRejectedEventsSink.TABLE
                    + " WHERE (view_name, kind, origin, reason) IN"
                    + " (('user_activity', 'DEAD_LETTER', 'user-events/0@17', 'not JSON'),"
                    + " ('user_activity', 'LATE', 'user-events/1@4', 'window already final'))"))
        .isEqualTo(2);
  }

  @Test
  void sessions_report_a_url_that_is_not_postgres() {
    assertThatThrownBy(() -> PostgresSessions.open("jdbc:mysql://db:3306/x?password=s3cret", "t"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "'jdbc:mysql://db:3306/x?password=***' is not a Postgres JDBC URL"
                + " (use jdbc:postgresql://host:5432/db?user=...)");
  }

  /**
   * Runs {@code body} while {@link DriverManager} knows no Postgres driver, as in a job's user-code
   * class loader, and registers the drivers again afterwards.
   */
  private static <T> T withoutPostgresInDriverManager(Callable<T> body) throws Exception {
    List<Driver> hidden = new ArrayList<>();
    for (Driver d : Collections.list(DriverManager.getDrivers())) {
      if (d instanceof org.postgresql.Driver) {
        DriverManager.deregisterDriver(d);
        hidden.add(d);
      }
    }
    try {
      assertThatThrownBy(() -> open(jdbcUrl))
          .as("DriverManager with the Postgres driver taken out")
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("No suitable driver");
      return body.call();
    } finally {
      for (Driver d : hidden) {
        DriverManager.registerDriver(d);
      }
    }
  }

  private static void open(String url) throws SQLException {
    try (Connection c = DriverManager.getConnection(url)) {
      c.isValid(1);
    }
  }
}
