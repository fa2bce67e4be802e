package io.freshet.deploy.progress;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Draws the progress of a command's tasks, one task after the other, in a {@link ProgressStyle}:
 *
 * <pre>
 * bar (redrawn in place with \r, ended by a newline when the task ends):
 *   events read [##########..........]  52% 1,204,331/2,315,000 events  48,210 events/s  ETA 0:23
 *   events read [####################] 100% 2,315,000/2,315,000 events  48,192 events/s  in 0:48
 * lines (one every interval, then a summary):
 *   events read: 52% 1,204,331/2,315,000 events, 48,210 events/s, ETA 0:23
 *   events read: done, 2,315,000 events (100%) in 48.0 s, 48,192 events/s
 * </pre>
 *
 * The rate is the count over the time until it last grew, so a count that stopped (a source done
 * while the job still writes) keeps the rate it was read at; the ETA is what is left at that rate.
 * A task of unknown size shows its count and rate, and a share and ETA only when the share done is
 * known otherwise ({@link Progress#share()}). A count on screen never goes back, even if a later
 * reading is lower. Time comes from an injected clock, so tests draw with time of their own. Not
 * thread-safe: {@link ProgressTicker} calls it from one thread at a time.
 */
public final class ProgressRenderer {
  private static final int BAR_WIDTH = 20;

  private final PrintWriter out;
  private final ProgressStyle style;
  private final long linesEveryNanos;
  private final LongSupplier nanoClock;

  private String task;
  private long taskStart;
  private long lastLine;
  private long shown;
  private long lastIncrease;
  private double shownShare;
  private int lastWidth;
  private boolean barOpen;

  /**
   * @param out where progress goes (the command's standard error)
   * @param linesEvery how often a plain line is printed in {@link ProgressStyle#LINES}
   * @param nanoClock a monotonic clock in nanoseconds, e.g. {@code System::nanoTime}
   */
  public ProgressRenderer(
      PrintWriter out, ProgressStyle style, Duration linesEvery, LongSupplier nanoClock) {
    this.out = Objects.requireNonNull(out, "out");
    this.style = Objects.requireNonNull(style, "style");
    if (linesEvery.isNegative() || linesEvery.isZero()) {
      throw new IllegalArgumentException(
          "progress interval must be positive, got " + linesEvery + " (write e.g. 5s)");
    }
    this.linesEveryNanos = linesEvery.toNanos();
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  public ProgressStyle style() {
    return style;
  }

  /** Shows a task under way: redraws the bar, or prints a line when the interval has passed. */
  public void show(Progress p) {
    if (style == ProgressStyle.NONE) {
      return;
    }
    long now = nanoClock.getAsLong();
    begin(p, now);
    if (style == ProgressStyle.BAR) {
      draw(p.task() + " " + text(p, now - taskStart, true, false));
    } else if (now - lastLine >= linesEveryNanos) {
      out.println(p.task() + ": " + text(p, now - taskStart, false, false) + detail(p));
      out.flush();
      lastLine = now;
    }
  }

  /** Shows a task's end: the full bar and a newline, or the summary line. */
  public void finish(Progress p) {
    if (style == ProgressStyle.NONE) {
      return;
    }
    long now = nanoClock.getAsLong();
    begin(p, now);
    long nanos = now - taskStart;
    if (style == ProgressStyle.BAR) {
      draw(p.task() + " " + text(p, nanos, true, true));
      endBar();
    } else {
      out.printf(
          Locale.ROOT,
          "%s: done, %s %s%s in %.1f s, %s %s/s%s%n",
          p.task(),
          count(shown),
          p.unit(),
          p.shareKnown() ? " (" + percent(p).strip() + ")" : "",
          nanos / 1e9,
          count(rate(shown, rateNanos(nanos))),
          p.unit(),
          detail(p));
      out.flush();
    }
    task = null;
  }

  /**
   * Ends an open bar's line, so that what is printed next (an error) starts on a line of its own.
   */
  public void abandon() {
    endBar();
    task = null;
  }

  private void begin(Progress p, long now) {
    if (!p.task().equals(task)) {
      endBar();
      task = p.task();
      taskStart = now;
      lastLine = now;
      shown = 0;
      shownShare = 0;
      lastWidth = 0;
      lastIncrease = now;
    }
    if (p.done() > shown) {
      shown = p.done();
      lastIncrease = now;
    }
    if (!p.totalKnown() && !Double.isNaN(p.share())) {
      shownShare = Math.max(shownShare, p.share());
    }
  }

  /**
   * {@code [####......] 40% 400/1,000 rows 52 rows/s ETA 0:11} (bar), {@code 40% 400/1,000 rows, 52
   * rows/s, ETA 0:11} (line); at the end the time taken instead of the ETA.
   */
  private String text(Progress p, long nanos, boolean bar, boolean end) {
    StringBuilder sb = new StringBuilder();
    String gap = bar ? "  " : ", ";
    if (p.shareKnown()) {
      if (bar) {
        sb.append(bar(p)).append(' ').append(percent(p)).append(' ');
      } else {
        sb.append(percent(p).strip()).append(' ');
      }
    }
    sb.append(count(shown));
    if (p.totalKnown()) {
      sb.append('/').append(count(p.total()));
    }
    sb.append(' ').append(p.unit());
    long counting = rateNanos(nanos);
    if (counting > 0 || end) {
      sb.append(gap).append(count(rate(shown, counting))).append(' ').append(p.unit());
      sb.append("/s");
    }
    double f = fraction(p);
    if (end) {
      sb.append(gap).append("in ").append(clock(nanos));
    } else if (counting > 0 && p.shareKnown() && f > 0 && f < 1) {
      sb.append(gap).append("ETA ").append(clock((long) (counting * (1 - f) / f)));
    }
    return sb.toString();
  }

  private void draw(String text) {
    int pad = Math.max(0, lastWidth - text.length());
    out.print("\r" + text + " ".repeat(pad));
    out.flush();
    lastWidth = text.length();
    barOpen = true;
  }

  private void endBar() {
    if (barOpen) {
      out.println();
      out.flush();
      barOpen = false;
    }
  }

  private String detail(Progress p) {
    return p.detail().isEmpty() ? "" : "; " + p.detail();
  }

  private String bar(Progress p) {
    int filled = (int) (fraction(p) * BAR_WIDTH);
    return "[" + "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled) + "]";
  }

  private String percent(Progress p) {
    return String.format(Locale.ROOT, "%3d%%", (int) Math.floor(fraction(p) * 100));
  }

  private double fraction(Progress p) {
    if (!p.totalKnown()) {
      return shownShare;
    }
    return p.total() == 0 ? 1 : Math.min(1, (double) shown / p.total());
  }

  /**
   * The time the count took to reach what is shown: up to its last increase, so that a count that
   * stopped (a source done while the job writes) keeps the rate it was read at; the whole {@code
   * nanos} when it has not grown since the task was first shown.
   */
  private long rateNanos(long nanos) {
    long counted = lastIncrease - taskStart;
    return counted > 0 ? counted : nanos;
  }

  private static double rate(long done, long nanos) {
    return done / (Math.max(nanos, 1_000_000L) / 1e9);
  }

  static String count(double n) {
    return String.format(Locale.ROOT, "%,d", Math.round(n));
  }

  /** {@code 0:26}, {@code 12:05}, {@code 1:02:03}. */
  static String clock(long nanos) {
    long s = Math.max(0, Math.round(nanos / 1e9));
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
