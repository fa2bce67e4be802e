package io.freshet.flink.sink;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How a committer waits out a store that is briefly unavailable (restarting, failing over, out of
 * connections): delays whose ceiling grows exponentially from {@code initialDelay} up to {@code
 * maxDelay}, each drawn at random below its ceiling ({@link #jittered}), for at most {@code
 * giveUpAfter}. Past that the commit fails, the job restarts from its last checkpoint and commits
 * the same rows again.
 *
 * <p>Keep {@code giveUpAfter} below the checkpoint timeout: while a commit waits, the sink's task
 * processes nothing and the next checkpoints cannot complete.
 *
 * @param initialDelay the first wait, e.g. 100 ms
 * @param maxDelay the longest single wait, e.g. 5 s
 * @param giveUpAfter how long one commit keeps trying, e.g. 2 min
 */
public record Backoff(Duration initialDelay, Duration maxDelay, Duration giveUpAfter)
    implements Serializable {

  /** 100 ms doubling up to 5 s, for at most 2 minutes. */
  public static final Backoff DEFAULT =
      new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofMinutes(2));

  public Backoff {
    Objects.requireNonNull(initialDelay, "initialDelay");
    Objects.requireNonNull(maxDelay, "maxDelay");
    Objects.requireNonNull(giveUpAfter, "giveUpAfter");
    if (initialDelay.isNegative() || initialDelay.isZero()) {
      throw new IllegalArgumentException(
          "initial retry delay must be positive, got " + initialDelay + " (e.g. PT0.1S)");
    }
    if (maxDelay.compareTo(initialDelay) < 0) {
      throw new IllegalArgumentException(
          "max retry delay "
              + maxDelay
              + " is shorter than the initial delay "
              + initialDelay
              + " (use a max delay of at least the initial one)");
    }
    if (giveUpAfter.isNegative()) {
      throw new IllegalArgumentException(
          "give-up time must not be negative, got " + giveUpAfter + " (PT0S: never retry)");
    }
  }

  /** The ceiling of the wait after a wait whose ceiling was {@code previous}. */
  Duration next(Duration previous) {
    Duration doubled = previous.multipliedBy(2);
    return doubled.compareTo(maxDelay) > 0 ? maxDelay : doubled;
  }

  /**
   * The wait itself: drawn uniformly from zero to {@code ceiling}, both included ("full jitter").
   * The subtasks of a job fail together when the store does (a restart, a deadlock between two of
   * them), and with the same delays they would retry together and collide again; drawn delays
   * spread their retries over the whole interval, while the ceiling still grows as above.
   */
  Duration jittered(Duration ceiling, RandomGenerator random) {
    return Duration.ofNanos(random.nextLong(ceiling.toNanos() + 1));
  }
}
