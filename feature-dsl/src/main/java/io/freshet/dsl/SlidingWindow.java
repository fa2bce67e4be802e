package io.freshet.dsl;

import java.time.Duration;

/**
 * An event-time window of fixed {@link #size()} that advances every {@link #slide()}, or a
 * {@linkplain #lifetime lifetime} window that reaches back to the entity's first event.
 *
 * <p>A 1 hour window sliding every 15 minutes produces the windows {@code [11:00, 12:00)}, {@code
 * [11:15, 12:15)}, ... Window {@code [11:00, 12:00)} is emitted once the watermark passes 12:00 and
 * its rows carry {@code feature_ts = 12:00}, the first instant at which the value was knowable. The
 * size must be a whole multiple of the slide; a tumbling window is one whose slide equals its size.
 *
 * <p>Windows are aligned to the epoch (UTC), like Flink's window assigners.
 *
 * <p>A lifetime window has no size ({@code size()} is null): its value at a window end {@code e} is
 * the aggregate of every event of the entity with event time before {@code e} that was not set
 * aside as too late. It still has a slide, the cadence at which its values are emitted, shared with
 * the other features of the view.
 */
public record SlidingWindow(Duration size, Duration slide) implements java.io.Serializable {

  public SlidingWindow {
    if (size != null) {
      Durations.checkPositive("window size", size);
    }
    Durations.checkPositive("window slide", slide);
    if (size != null) {
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

  /**
   * A lifetime window: every event of the entity since it was first seen, emitted every {@code
   * slide}.
   */
  public static SlidingWindow lifetime(Duration slide) {
    return new SlidingWindow(null, slide);
  }

  /** Whether the window reaches back to the entity's first event (it has no size). */
  public boolean isLifetime() {
    return size == null;
  }

  /**
   * The short name used in feature and column names and descriptions, e.g. {@code 1h}, or {@code
   * lifetime}.
   */
  public String sizeName() {
    return size == null ? "lifetime" : Durations.format(size);
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
