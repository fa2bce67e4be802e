package io.freshet.flink.sink;

import io.freshet.flink.sink.CommitFaults.Point;
import io.freshet.flink.sink.CommitFaults.Store;
import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.flink.api.connector.sink2.Committer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every exactly-once committer does around its store: commits committables in the order Flink
 * hands them over, retries transient store errors with {@link Backoff}, reports a replay the store
 * recognised as already committed, and fails with a message a person can act on when an error will
 * not go away by waiting.
 *
 * <p>Failing is the only way to give up: a committable is never dropped (Flink's {@code
 * signalFailedWithKnownReason} would drop it silently). When a commit fails, the job restarts from
 * its last completed checkpoint and commits the same committable again.
 */
public abstract class CheckpointCommitter<C extends CheckpointCommittable> implements Committer<C> {
  /** What applying one committable did. */
  protected enum Outcome {
    APPLIED,
    ALREADY_COMMITTED
  }

  private final Store store;
  private final String target;
  private final String view;
  private final Backoff backoff;
  private final String units;
  private final Logger log;

  /**
   * @param store which store, for test hooks
   * @param target the store's target in messages, e.g. {@code offline table freshet."v__tag"}
   * @param view the view version of the sink, see {@link RowCommittable#viewOf}
   * @param backoff how transient errors are retried
   * @param units what a committable holds, in messages: "rows", "tiles"
   * @param logger the class whose logger reports commits, retries and replays
   */
  protected CheckpointCommitter(
      Store store, String target, String view, Backoff backoff, String units, Class<?> logger) {
    this.store = Objects.requireNonNull(store, "store");
    this.target = Objects.requireNonNull(target, "target");
    this.view = Objects.requireNonNull(view, "view");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.units = Objects.requireNonNull(units, "units");
    this.log = LoggerFactory.getLogger(logger);
  }

  /**
   * Writes a committable's contents and its marker, or finds the marker and writes nothing. Throws
   * on any failure; the store must be left so that calling again is correct.
   */
  protected abstract Outcome apply(C committable) throws Exception;

  /** Whether an error of {@link #apply} may go away by waiting (a restart, a failover). */
  protected abstract boolean isTransient(Exception e);

  /** A sentence about a permanent error that says what to do, e.g. which grant is missing. */
  protected abstract String explain(Exception e);

  /** Drops the connection after a transient error, so that the next attempt opens a new one. */
  protected abstract void discardConnection();

  /** Tells test hooks a commit reached a point; see {@link CommitFaults}. */
  protected final void reached(Point point, C committable) throws IOException {
    CommitFaults.reached(store, point, committable);
  }

  @Override
  public final void commit(Collection<CommitRequest<C>> requests)
      throws IOException, InterruptedException {
    for (CommitRequest<C> request : requests) {
      C committable = request.getCommittable();
      if (!committable.view().equals(view)) {
        throw new IOException(
            "the "
                + target
                + " sink of "
                + view
                + " was handed "
                + committable
                + ": state of another view version was restored into it (give each view"
                + " version's sinks their own uid)");
      }
      reached(Point.BEFORE_APPLY, committable);
      long started = System.nanoTime();
      Outcome outcome = applyWithRetries(committable);
      log.debug(
          "{} {} to {} in {} ms",
          outcome == Outcome.APPLIED ? "committed" : "found already committed",
          committable,
          target,
          (System.nanoTime() - started) / 1_000_000);
      if (outcome == Outcome.ALREADY_COMMITTED) {
        log.info("{} was already committed to {}; skipped", committable, target);
        reached(Point.ALREADY_COMMITTED, committable);
        request.signalAlreadyCommitted();
      } else {
        reached(Point.AFTER_APPLY, committable);
      }
    }
  }

  private Outcome applyWithRetries(C committable) throws IOException, InterruptedException {
    long started = System.nanoTime();
    long giveUpAt = started + backoff.giveUpAfter().toNanos();
    Duration delay = backoff.initialDelay();
    for (int attempt = 1; ; attempt++) {
      try {
        return apply(committable);
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedException("interrupted while committing " + committable);
        }
        if (!isTransient(e)) {
          throw new IOException(
              "could not commit " + committable + " to " + target + ": " + explain(e), e);
        }
        discardConnection();
        long now = System.nanoTime();
        if (now >= giveUpAt) {
          throw new IOException(
              "gave up committing "
                  + committable
                  + " to "
                  + target
                  + " after "
                  + attempt
                  + " attempts in "
                  + Duration.ofNanos(now - started).toSeconds()
                  + " s; last error: "
                  + e
                  + ". The job restarts from its last checkpoint and commits these "
                  + units
                  + " again",
              e);
        }
        long waitNanos =
            Math.min(
                backoff.jittered(delay, ThreadLocalRandom.current()).toNanos(), giveUpAt - now);
        log.warn(
            "committing {} to {} failed (attempt {}), retrying in {} ms: {}",
            committable,
            target,
            attempt,
            waitNanos / 1_000_000,
            e.toString());
        Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
        delay = backoff.next(delay);
      }
    }
  }
}
