package io.freshet.training;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How far a build or rebuild has come, stage by stage, for a caller to poll from another thread
 * while the builder works ({@link TrainingSetBuilder#withProgress}).
 *
 * <ol>
 *   <li>{@link Stage#LABELS}: labels read. Their count is not known before the end; a CSV file's
 *       share read is known from its bytes read against its size, a label table's is not.
 *   <li>{@link Stage#JOIN}: rows joined, of as many as there are labels. Each view is read in
 *       slices of entities on several connections at once; an entity's labels count once its rows
 *       have streamed past (for an as-served window-end view, in the first of its two reads), those
 *       of entities without rows when their slice is done, and a row counts as joined once every
 *       view did (the lookups made, divided by the number of views).
 *   <li>{@link Stage#WRITE}: rows written to the output, of as many as there are labels (for a
 *       Parquet file, the rows put in the file).
 * </ol>
 *
 * Thread-safe: the builder's threads count, any thread reads {@link #stages()}.
 */
public final class TrainingSetProgress {
  /** The stages of a build, in the order they run. */
  public enum Stage {
    LABELS,
    JOIN,
    WRITE
  }

  /**
   * One stage as it stands.
   *
   * @param done labels read, or rows joined or written
   * @param total how many there are, or -1 while unknown
   * @param share the share done in [0, 1] when known otherwise (a file's bytes read), else NaN
   * @param finished whether the stage has ended
   */
  public record StageState(Stage stage, long done, long total, double share, boolean finished) {}

  private final AtomicLong labelsRead = new AtomicLong();
  private final AtomicLong labelBytesRead = new AtomicLong();
  private volatile long labelBytes = -1;
  private final AtomicLong lookups = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private volatile int views = 1;
  private volatile long labels = -1;
  private volatile Stage current;
  private volatile boolean writeFinished;

  /** The stages begun so far, in order, each as it stands now. */
  public List<StageState> stages() {
    Stage at = current;
    List<StageState> out = new ArrayList<>();
    if (at == null) {
      return out;
    }
    long total = labels;
    double share =
        labelBytes > 0 ? Math.min(1, (double) labelBytesRead.get() / labelBytes) : Double.NaN;
    boolean labelsDone = at != Stage.LABELS;
    out.add(
        new StageState(
            Stage.LABELS,
            labelsRead.get(),
            labelsDone ? total : -1,
            labelsDone ? 1 : share,
            labelsDone));
    if (at == Stage.LABELS) {
      return out;
    }
    int v = views;
    out.add(new StageState(Stage.JOIN, lookups.get() / v, total, Double.NaN, at == Stage.WRITE));
    if (at == Stage.WRITE) {
      out.add(new StageState(Stage.WRITE, written.get(), total, Double.NaN, writeFinished));
    }
    return out;
  }

  // ---- counted by the builder

  /** Reading labels begins; {@code bytes} is the size of a label file, or -1. */
  void readingLabels(long bytes) {
    labelBytes = bytes;
    current = Stage.LABELS;
  }

  void labelRead(long bytesSoFar) {
    labelsRead.incrementAndGet();
    if (bytesSoFar >= 0) {
      labelBytesRead.set(bytesSoFar);
    }
  }

  /** The labels are read: {@code count} of them, to be joined with {@code viewCount} views. */
  void joining(long count, int viewCount) {
    labels = count;
    labelsRead.set(count);
    views = Math.max(1, viewCount);
    current = Stage.JOIN;
  }

  /** {@code count} labels were looked up in one view. */
  void joined(long count) {
    lookups.addAndGet(count);
  }

  void writing() {
    current = Stage.WRITE;
  }

  void rowWritten() {
    written.incrementAndGet();
  }

  void written() {
    writeFinished = true;
  }
}
