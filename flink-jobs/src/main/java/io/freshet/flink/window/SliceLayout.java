package io.freshet.flink.window;

import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import java.io.Serializable;
import java.util.List;

/**
 * The arithmetic of a view's slices and windows, all in epoch milliseconds and aligned to the
 * epoch. A slice {@code [s, s + slice)} belongs to every window {@code [e - size, e)} whose end
 * {@code e} is a multiple of the slide with {@code s + slice <= e <= s + size}. A lifetime part's
 * window ending at {@code e} holds every slice with {@code s + slice <= e}; the longest window
 * ({@code maxSize}) is that of the finite parts, which decides how long slices are kept.
 */
public final class SliceLayout implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long slice;
  private final long slide;
  private final long maxSize;
  private final long[] partSizes;
  private final String[] partNames;
  private final boolean[] lifetime;
  private final boolean anyLifetime;

  public SliceLayout(ViewPlan plan) {
    this.slice = plan.sliceMillis();
    this.slide = plan.slideMillis();
    this.maxSize = plan.maxWindowMillis();
    List<FeaturePart.Aggregated> aggregated = plan.aggregatedParts();
    this.partSizes =
        aggregated.stream().mapToLong(FeaturePart.Aggregated::windowSizeMillis).toArray();
    this.partNames = aggregated.stream().map(FeaturePart::name).toArray(String[]::new);
    this.lifetime = new boolean[aggregated.size()];
    boolean any = false;
    for (int i = 0; i < lifetime.length; i++) {
      lifetime[i] = aggregated.get(i).isLifetime();
      any |= lifetime[i];
    }
    this.anyLifetime = any;
  }

  /** Whether aggregated part i is a lifetime part. */
  public boolean isLifetime(int part) {
    return lifetime[part];
  }

  /** Whether the view has a lifetime part. */
  public boolean hasLifetime() {
    return anyLifetime;
  }

  /** The slice length. */
  public long slice() {
    return slice;
  }

  /** The start of the slice holding {@code timestamp}. */
  public long sliceStart(long timestamp) {
    return Math.floorDiv(timestamp, slice) * slice;
  }

  /** The end of the first window that holds the slice starting at {@code sliceStart}. */
  public long firstWindowEnd(long sliceStart) {
    return ceilToSlide(sliceStart + slice);
  }

  /** The end of the last window (of the longest size) that holds the slice. */
  public long lastWindowEnd(long sliceStart) {
    return Math.floorDiv(sliceStart + maxSize, slide) * slide;
  }

  /** The smallest window end that is {@code >= t}. */
  public long ceilToSlide(long t) {
    return Math.floorDiv(t + slide - 1, slide) * slide;
  }

  /** Whether the slice lies inside the longest window ending at {@code windowEnd}. */
  public boolean overlaps(long sliceStart, long windowEnd) {
    return sliceStart >= windowEnd - maxSize && sliceStart + slice <= windowEnd;
  }

  /**
   * Whether the slice starting at {@code sliceStart} may still be read after the window ending at
   * {@code windowEnd} fired: by a later window, or, with allowed lateness, by windows emitted again
   * for a late event.
   */
  public boolean neededAfter(long sliceStart, long windowEnd, long lateness) {
    long reach = lateness > 0 ? lateness + slide : 0;
    return sliceStart >= windowEnd + slide - maxSize - reach;
  }

  /**
   * The first window end after {@code windowEnd} at which the slice starting at {@code sliceStart}
   * enters a window, leaves a part's window, or stops being {@linkplain #neededAfter needed}; only
   * at such ends can a key's result or state change because of this slice.
   */
  public long nextChange(long sliceStart, long windowEnd, long lateness) {
    long next = Long.MAX_VALUE;
    long entry = firstWindowEnd(sliceStart);
    if (entry > windowEnd) {
      next = entry;
    }
    for (int i = 0; i < partSizes.length; i++) {
      if (lifetime[i]) {
        continue; // a slice never leaves a lifetime window
      }
      long size = partSizes[i];
      long exit = ceilToSlide(sliceStart + size + 1);
      if (exit > windowEnd && exit < next) {
        next = exit;
      }
    }
    long reach = lateness > 0 ? lateness + slide : 0;
    long unneeded = ceilToSlide(sliceStart - slide + maxSize + reach + 1);
    if (unneeded > windowEnd && unneeded < next) {
      next = unneeded;
    }
    return next;
  }

  /** Whether the slice starting at {@code sliceStart} is in part i's window ending at {@code e}. */
  public boolean inWindow(int part, long sliceStart, long windowEnd) {
    if (lifetime[part]) {
      return sliceStart + slice <= windowEnd;
    }
    return sliceStart >= windowEnd - partSizes[part] && sliceStart + slice <= windowEnd;
  }

  /** The index of an aggregated part by name. */
  public int partIndex(String name) {
    for (int i = 0; i < partNames.length; i++) {
      if (partNames[i].equals(name)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no aggregated part '" + name + "'");
  }

  public long slide() {
    return slide;
  }

  public int parts() {
    return partSizes.length;
  }
}
