package io.freshet.deploy.progress;

import java.util.Objects;

/**
 * How far one task of a long command has come: e.g. {@code joining}, 1,204,331 of 2,000,000 rows.
 *
 * @param task what is being done, e.g. "reading labels", "events read"
 * @param unit what is counted, plural, e.g. "rows", "events"
 * @param done how many so far
 * @param total how many there are in all, or {@link #UNKNOWN}
 * @param share with no total, the share done in [0, 1] when it is known otherwise (bytes of a file
 *     read, a time range covered), else NaN
 * @param finished whether the task has ended (then {@code done} is its final count)
 * @param detail more to say on a plain line, e.g. the count of each source; "" for nothing
 */
public record Progress(
    String task,
    String unit,
    long done,
    long total,
    double share,
    boolean finished,
    String detail) {
  /** The total of a task whose size is not known up front. */
  public static final long UNKNOWN = -1;

  public Progress {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(unit, "unit");
    detail = detail == null ? "" : detail;
    if (done < 0) {
      throw new IllegalArgumentException("progress of " + task + " counts " + done + " < 0");
    }
    if (total < 0 && total != UNKNOWN) {
      throw new IllegalArgumentException(
          "total of " + task + " is " + total + ": give a count >= 0, or UNKNOWN");
    }
    if (share < 0 || share > 1) {
      throw new IllegalArgumentException(
          "share done of " + task + " is " + share + ": give a number in [0, 1], or NaN");
    }
  }

  /** A task under way. */
  public static Progress running(String task, String unit, long done, long total) {
    return new Progress(task, unit, done, total, Double.NaN, false, "");
  }

  /** A task that ended with {@code done}. */
  public static Progress finished(String task, String unit, long done, long total) {
    return new Progress(task, unit, done, total, Double.NaN, true, "");
  }

  public Progress withDetail(String text) {
    return new Progress(task, unit, done, total, share, finished, text);
  }

  /** This progress of a task of unknown total with {@code fraction} of it done. */
  public Progress withShare(double fraction) {
    return new Progress(task, unit, done, total, fraction, finished, detail);
  }

  public boolean totalKnown() {
    return total != UNKNOWN;
  }

  /** Whether the share done is known: from the total, or given. */
  public boolean shareKnown() {
    return totalKnown() || !Double.isNaN(share);
  }
}
