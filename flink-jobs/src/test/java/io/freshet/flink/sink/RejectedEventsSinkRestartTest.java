package io.freshet.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.flink.sink.rejected.PostgresRejectedEventsSink;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.flink.source.RejectedEvent.Kind;
import io.freshet.offline.FreshetSchema;
import io.freshet.offline.PostgresSessions;
import io.freshet.testing.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rejected-events sink on the JDBC connector's at-least-once sink, through a failure: the job
 * fails once after a completed checkpoint with rows written past it, restarts from the checkpoint
 * and replays them. Every event is stored exactly once: none lost, none twice, and the replay's
 * conflicting inserts (counted by a trigger that sees every attempted row) are skipped rather than
 * failing the job.
 */
class RejectedEventsSinkRestartTest {
  private static final int EVENTS = 12_000;
  private static final AtomicBoolean FAILED = new AtomicBoolean();

  @TempDir Path checkpoints;

  @Test
  void a_restart_after_a_failure_replays_without_duplicates_or_losses() throws Exception {
    String pg = TestPostgres.freshDatabase("rejected_restart");
    FreshetSchema.migrate(PostgresSessions.dataSource(pg, "test"));
    StoreContents.execute(pg, "CREATE TABLE attempts (n bigint)");
    StoreContents.execute(pg, "INSERT INTO attempts VALUES (0)");
    StoreContents.execute(
        pg,
        "CREATE FUNCTION count_attempt() RETURNS trigger LANGUAGE plpgsql AS"
            + " $$BEGIN UPDATE attempts SET n = n + 1; RETURN NEW; END$$");
    StoreContents.execute(
        pg,
        "CREATE TRIGGER count_attempt BEFORE INSERT ON freshet.rejected_events"
            + " FOR EACH ROW EXECUTE FUNCTION count_attempt()");

    FAILED.set(false);
    StreamExecutionEnvironment env = PacedRowsJob.environment(Duration.ofMillis(200), checkpoints);
    env.setParallelism(1);
    env.fromSequence(0, EVENTS - 1)
        .uid("numbers")
        .map(new FailOnceAfterCheckpoint())
        .uid("fail-once")
        .sinkTo(PostgresRejectedEventsSink.create(pg))
        .uid("rejected-sink");
    PacedRowsJob.execute(env, "rejected events restart", Duration.ofMinutes(3));

    assertThat(FAILED).as("the injected failure fired").isTrue();
    assertThat(
            StoreContents.queryLong(pg, "SELECT count(*) FROM " + PostgresRejectedEventsSink.TABLE))
        .isEqualTo(EVENTS);
    assertThat(
            StoreContents.queryLong(
                pg,
                "SELECT count(DISTINCT origin) FROM "
                    + PostgresRejectedEventsSink.TABLE
                    + " WHERE origin ~ '^test/0@[0-9]+$' AND reason = 'bad ' || split_part(origin,"
                    + " '@', 2) AND payload = '{\"n\":' || split_part(origin, '@', 2) || '}'"
                    + " AND event_ts = to_timestamp((1767225600000 + split_part(origin, '@',"
                    + " 2)::bigint) / 1000.0)"))
        .as("every event stored once, as written")
        .isEqualTo(EVENTS);
    try (Connection c = DriverManager.getConnection(pg);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT n FROM attempts")) {
      rs.next();
      assertThat(rs.getLong(1))
          .as("inserts attempted, replayed ones included")
          .isGreaterThan(EVENTS);
    }
  }

  /**
   * Turns numbers into rejected events, about 4,000 a second so that checkpoints complete during
   * the run; once, after a checkpoint completed, throws when 2,500 more numbers (more than two
   * batches of the sink) went through it.
   */
  static final class FailOnceAfterCheckpoint
      implements MapFunction<Long, RejectedEvent>, CheckpointListener {
    private boolean checkpointed;
    private long sinceCheckpoint;

    @Override
    public RejectedEvent map(Long n) throws InterruptedException {
      if (n % 4 == 0) {
        Thread.sleep(1);
      }
      if (checkpointed && !FAILED.get() && ++sinceCheckpoint > 2_500) {
        FAILED.set(true);
        throw new IllegalStateException("injected failure after a checkpoint");
      }
      return new RejectedEvent(
          "user_activity",
          Kind.DEAD_LETTER,
          "bad " + n,
          "{\"n\":" + n + "}",
          "test/0@" + n,
          1_767_225_600_000L + n);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      if (!checkpointed) {
        checkpointed = true;
        sinceCheckpoint = 0;
      }
    }
  }
}
