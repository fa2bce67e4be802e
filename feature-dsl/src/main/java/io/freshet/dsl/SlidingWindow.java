package io.freshet.dsl;

import java.time.Duration;

/**
 * An event-time window of fixed {@link #size()} that advances every {@link #slide()}.
 *
 * <p>A 1 hour window sliding every 15 minutes produces the windows {@code [11:00, 12:00)}, {@code
 * [11:15, 12:15)}, ... Window {@code [11:00, 12:00)} is emitted once the watermark passes 12:00 and
 * its rows carry {@code feature_ts = 12:00}, the first instant at which the value was knowable. The
 * size must be a whole multiple of the slide; a tumbling window is one whose slide equals its size.
 *
 * <p>Windows are aligned to the epoch (UTC), like Flink's window assigners.
 */
public record SlidingWindow(Duration size, Duration slide) implements java.io.Serializable {

  public SlidingWindow {
    Durations.checkPositive("window size", size);
    Durations.checkPositive("window slide", slide);
    if (slide.compareTo(size) > 0) {
      throw new DefinitionException(
          "window slide "
              + Durations.format(slide)
              + " is longer than its size "
              + Durations.format(size)
              + ": events between windows would be ignored (use a slide no longer than the size)");
    }
    if (size.toMillis() % slide.toMillis() != 0) {
      throw new DefinitionException(
          "window size "
              + Durations.format(size)
              + " must be a multiple of slide "
              + Durations.format(slide)
              + " (use a slide that divides "
              + Durations.format(size)
              + ", e.g. "
              + Durations.format(Duration.ofMillis(largestDivisorAtMost(size, slide)))
              + ")");
    }
  }

  /** A window of {@code size} that advances every {@code slide}. */
  public static SlidingWindow of(Duration size, Duration slide) {
    return new SlidingWindow(size, slide);
  }

  /**
   * A window of {@code size} that advances by its own size: each event is in exactly one window.
   */
  public static SlidingWindow tumbling(Duration size) {
    return new SlidingWindow(size, size);
  }

  /** The short name used in feature and column names, e.g. {@code 1h}. */
  public String sizeName() {
    return Durations.format(size);
  }

  private static long largestDivisorAtMost(Duration size, Duration slide) {
    long s = size.toMillis();
    for (long d = slide.toMillis(); d > 1; d--) {
      if (s % d == 0 && (d % 1000 == 0 || d < 1000)) {
        return d;
      }
    }
    return 1;
  }
}
