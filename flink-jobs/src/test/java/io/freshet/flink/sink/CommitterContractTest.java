package io.freshet.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.flink.sink.CommitFaults.Point;
import io.freshet.flink.sink.RecordingCommitRequest.Signal;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TcpProxy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.apache.flink.api.connector.sink2.Committer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every exactly-once committer guarantees, written once and run against each store: a commit
 * lands once, a replay is recognised, a commit cut off anywhere is completed by its replay, a store
 * restart in the middle of a commit is waited out, and closing leaks nothing.
 */
public abstract class CommitterContractTest {
  protected static final ViewPlan PLAN = GeneratedRows.PLAN;
  protected static final String JOB = "00112233445566778899aabbccddeeff";
  protected static final Backoff QUICK =
      new Backoff(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(30));

  /** 50 entities, 20 rounds, about one row in eight a late update. */
  protected final GeneratedRows data = new GeneratedRows(50, 1000);

  private final List<Committer<RowCommittable>> committers = new ArrayList<>();
  private List<String> threadsBefore = List.of();

  /** A sink of {@link #PLAN} writing to the store at host:port (the real one, or a proxy). */
  protected abstract ExactlyOnceRowSink sink(String host, int port, Backoff retries, int batch);

  protected abstract String storeHost();

  protected abstract int storePort();

  /** Empties the store before each test. */
  protected abstract void resetStore() throws Exception;

  /** What the store holds, keyed as the store keys rows (window or entity). */
  protected abstract Map<Object, FeatureRow> stored() throws Exception;

  /** What the store must hold after the given rows were committed in this order. */
  protected abstract Map<Object, FeatureRow> expected(List<FeatureRow> rows);

  /** Sessions the committers have open at the store. */
  protected abstract int openSessions() throws Exception;

  /** Puts the store in a state no retry fixes; returns a fragment the error must contain. */
  protected abstract String breakPermanently() throws Exception;

  @BeforeEach
  void emptyStore() throws Exception {
    CommitFaults.uninstall();
    resetStore();
    threadsBefore = StoreContents.lettuceThreads();
  }

  @AfterEach
  void closingLeaksNothing() throws Exception {
    CommitFaults.uninstall();
    for (Committer<RowCommittable> c : committers) {
      c.close();
    }
    StoreContents.eventually(
        Duration.ofSeconds(10),
        () -> {
          try {
            assertThat(openSessions()).as("store sessions left open").isZero();
          } catch (Exception e) {
            throw new AssertionError(e);
          }
          assertThat(StoreContents.lettuceThreads())
              .as("Lettuce threads left")
              .isSubsetOf(threadsBefore);
        });
  }

  @Test
  void commits_rows_once_and_recognises_the_replay() throws Exception {
    List<FeatureRow> rows = rows(0, 1000);
    RowCommittable c = committable(1, rows);
    Committer<RowCommittable> committer = committer();
    assertThat(RecordingCommitRequest.commit(committer, c)).isEqualTo(Signal.COMMITTED);
    assertThat(stored()).isEqualTo(expected(rows));

    assertThat(RecordingCommitRequest.commit(committer, c)).isEqualTo(Signal.ALREADY_COMMITTED);
    assertThat(RecordingCommitRequest.commit(committer(), c))
        .as("replayed by a new committer, as after a restart")
        .isEqualTo(Signal.ALREADY_COMMITTED);
    assertThat(stored()).isEqualTo(expected(rows));
  }

  @Test
  void commits_consecutive_checkpoints_in_order() throws Exception {
    Committer<RowCommittable> committer = committer();
    for (int cp = 0; cp < 4; cp++) {
      RecordingCommitRequest.commit(committer, committable(cp + 1, rows(cp * 250, cp * 250 + 250)));
    }
    assertThat(stored()).isEqualTo(expected(rows(0, 1000)));
  }

  @Test
  void a_commit_cut_off_midway_is_completed_by_its_replay() throws Exception {
    RowCommittable c = committable(7, rows(0, 1000));
    failOnceAt(Point.MID_APPLY);
    assertThatThrownBy(() -> RecordingCommitRequest.commit(committer(), c))
        .isInstanceOf(IOException.class)
        .hasStackTraceContaining("injected at MID_APPLY");
    assertThat(RecordingCommitRequest.commit(committer(), c)).isEqualTo(Signal.COMMITTED);
    assertThat(stored()).isEqualTo(expected(rows(0, 1000)));
  }

  @Test
  void a_commit_that_failed_after_applying_is_recognised_on_replay() throws Exception {
    RowCommittable c = committable(7, rows(0, 1000));
    failOnceAt(Point.AFTER_APPLY);
    assertThatThrownBy(() -> RecordingCommitRequest.commit(committer(), c))
        .hasMessage("injected at AFTER_APPLY");
    assertThat(RecordingCommitRequest.commit(committer(), c)).isEqualTo(Signal.ALREADY_COMMITTED);
    assertThat(stored()).isEqualTo(expected(rows(0, 1000)));
  }

  @Test
  void waits_out_a_store_restart_in_the_middle_of_a_commit() throws Exception {
    try (TcpProxy proxy = TcpProxy.started(storeHost(), storePort())) {
      Committer<RowCommittable> committer = track(sink("127.0.0.1", proxy.port(), QUICK, 50));
      RecordingCommitRequest.commit(committer, committable(1, rows(0, 200)));
      AtomicBoolean restarted = new AtomicBoolean();
      CommitFaults.install(
          (store, point, committable) -> {
            if (point == Point.MID_APPLY && restarted.compareAndSet(false, true)) {
              proxy.restart(Duration.ofMillis(1500));
            }
          });
      RowCommittable c = committable(2, rows(200, 1000));
      assertThat(RecordingCommitRequest.commit(committer, c)).isEqualTo(Signal.COMMITTED);
      assertThat(restarted).isTrue();
      assertThat(proxy.accepted()).as("connections through the proxy").isGreaterThan(1);
      assertThat(stored()).isEqualTo(expected(rows(0, 1000)));
    }
  }

  @Test
  void gives_up_after_its_backoff_with_a_message_naming_the_rows() throws Exception {
    try (TcpProxy down = new TcpProxy(storeHost(), storePort())) {
      Backoff brief =
          new Backoff(Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(500));
      Committer<RowCommittable> committer = track(sink("127.0.0.1", down.port(), brief, 100));
      RowCommittable c = committable(9, rows(0, 100));
      assertThatThrownBy(() -> RecordingCommitRequest.commit(committer, c))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("gave up committing " + c + " to ")
          .hasMessageContaining(" attempts in ")
          .hasMessageContaining("The job restarts from its last checkpoint and commits these rows");
    }
  }

  @Test
  void a_permanent_error_fails_at_once_with_a_hint() throws Exception {
    String fragment = breakPermanently();
    RowCommittable c = committable(3, rows(0, 100));
    assertThatThrownBy(() -> RecordingCommitRequest.commit(committer(), c))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("could not commit " + c + " to ")
        .hasMessageContaining(fragment);
  }

  @Test
  void committables_of_another_view_version_are_refused() throws Exception {
    RowCommittable c =
        new RowCommittable("sink_test@0000000000", new CommitId(JOB, 0, 1, 1), rows(0, 1));
    assertThatThrownBy(() -> RecordingCommitRequest.commit(committer(), c))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("state of another view version was restored into it");
  }

  // ------------------------------------------------------------------------------------------

  /** Rows {@code from} (inclusive) to {@code to} (exclusive) of the test stream. */
  protected List<FeatureRow> rows(long from, long to) {
    return LongStream.range(from, to).mapToObj(data::row).toList();
  }

  /** The committable a writer of this store prepares from these rows for a checkpoint. */
  protected RowCommittable committable(long checkpoint, List<FeatureRow> rows) {
    ExactlyOnceRowSink sink = sink(storeHost(), storePort(), QUICK, 100);
    CheckpointRowWriter writer =
        new CheckpointRowWriter(
            RowCommittable.viewOf(PLAN), sink.keep(), new CommitId(JOB, 0, CommitId.UNSTAMPED, 5));
    rows.forEach(r -> writer.write(r, null));
    return writer.prepareCommit().iterator().next().withCheckpoint(checkpoint);
  }

  /** A new committer of the real store, closed after the test. */
  protected Committer<RowCommittable> committer() throws IOException {
    return track(sink(storeHost(), storePort(), QUICK, 100));
  }

  protected Committer<RowCommittable> track(ExactlyOnceRowSink sink) throws IOException {
    Committer<RowCommittable> c = sink.createCommitter(null);
    committers.add(c);
    return c;
  }

  /** Makes the next commit that reaches {@code point} throw, once. */
  protected static void failOnceAt(Point point) {
    AtomicInteger fired = new AtomicInteger();
    CommitFaults.install(
        (store, p, committable) -> {
          if (p == point && fired.getAndIncrement() == 0) {
            throw new IOException("injected at " + point);
          }
        });
  }
}
