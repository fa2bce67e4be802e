package io.freshet.deploy.stack;

import java.time.Duration;

/**
 * How long the {@link Supervisor} waits before restarting something that died: {@code initial}
 * before the first restart, twice as long before each next one, never more than {@code max}. The
 * count starts again once a restart has stayed up for {@code stable}.
 *
 * <p>With 1 s, 30 s and 2 min: restarts after 1, 2, 4, 8, 16, 30, 30... seconds of a crash loop;
 * after 2 minutes up, the next death waits 1 s again.
 */
public record RestartBackoff(Duration initial, Duration max, Duration stable) {
  public RestartBackoff {
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial backoff must be positive, got " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "max backoff " + max + " must not be below the initial backoff " + initial);
    }
  }

  /** The local stack's: 1 s, doubling up to 30 s, reset after 2 minutes up. */
  public static RestartBackoff localStack() {
    return new RestartBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMinutes(2));
  }

  /** The wait before restart number {@code attempt} (1 for the first) of a run of failures. */
  public Duration delay(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt counts from 1, got " + attempt);
    }
    int doublings = Math.min(attempt - 1, 30);
    long millis = initial.toMillis() << doublings;
    if (millis <= 0 || millis > max.toMillis()) {
      return max;
    }
    return Duration.ofMillis(millis);
  }
}
