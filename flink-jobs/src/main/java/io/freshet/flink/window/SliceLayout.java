package io.freshet.flink.window;

import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import java.io.Serializable;

/**
 * The arithmetic of a view's slices and windows, all in epoch milliseconds and aligned to the
 * epoch. A slice {@code [s, s + slice)} belongs to every window {@code [e - size, e)} whose end
 * {@code e} is a multiple of the slide with {@code s + slice <= e <= s + size}.
 */
public final class SliceLayout implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long slice;
  private final long slide;
  private final long maxSize;
  private final long[] partSizes;

  public SliceLayout(ViewPlan plan) {
    this.slice = plan.sliceMillis();
    this.slide = plan.slideMillis();
    this.maxSize = plan.maxWindowMillis();
    this.partSizes = plan.parts().stream().mapToLong(FeaturePart::windowSizeMillis).toArray();
  }

  /** The start of the slice holding {@code timestamp}. */
  public long sliceStart(long timestamp) {
    return Math.floorDiv(timestamp, slice) * slice;
  }

  /** The end of the first window that holds the slice starting at {@code sliceStart}. */
  public long firstWindowEnd(long sliceStart) {
    return ceilToSlide(sliceStart + slice);
  }

  /** The smallest window end that is {@code >= t}. */
  public long ceilToSlide(long t) {
    return Math.floorDiv(t + slide - 1, slide) * slide;
  }

  /**
   * Whether the slice starting at {@code sliceStart} still belongs to a window ending after {@code
   * windowEnd}; slices that do not can be dropped once that window has fired.
   */
  public boolean neededAfter(long sliceStart, long windowEnd) {
    return sliceStart >= windowEnd + slide - maxSize;
  }

  /** Whether the slice starting at {@code sliceStart} is in part i's window ending at {@code e}. */
  public boolean inWindow(int part, long sliceStart, long windowEnd) {
    return sliceStart >= windowEnd - partSizes[part] && sliceStart + slice <= windowEnd;
  }

  public long slide() {
    return slide;
  }

  public int parts() {
    return partSizes.length;
  }
}
