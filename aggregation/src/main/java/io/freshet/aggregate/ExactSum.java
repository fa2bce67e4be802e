package io.freshet.aggregate;

import io.freshet.storage.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * A sum of doubles that is exact until it is read, then correctly rounded: the same numbers give
 * the same result in any order and any grouping. Floating-point addition is not associative, so a
 * plain {@code double} sum of a window depends on which events reached which slice in which order,
 * and a backfill, a restart or another parallelism would write rows that differ in the last bits.
 *
 * <p>The value is kept as non-overlapping partials (Shewchuk's adaptive expansion, as Python's
 * {@code math.fsum} does); for typical money amounts that is one or two doubles.
 */
final class ExactSum {
  private double[] partials = new double[2];
  private int size;

  void add(double x) {
    int i = 0;
    for (int j = 0; j < size; j++) {
      double y = partials[j];
      if (Math.abs(x) < Math.abs(y)) {
        double t = x;
        x = y;
        y = t;
      }
      double hi = x + y;
      double lo = y - (hi - x);
      if (lo != 0.0) {
        partials[i++] = lo;
      }
      x = hi;
    }
    if (i == partials.length) {
      partials = Arrays.copyOf(partials, partials.length * 2);
    }
    partials[i++] = x;
    size = i;
  }

  void addAll(ExactSum other) {
    for (int j = 0; j < other.size; j++) {
      add(other.partials[j]);
    }
  }

  /** The correctly rounded sum. */
  double value() {
    int n = size;
    if (n == 0) {
      return 0.0;
    }
    double hi = partials[--n];
    double lo = 0.0;
    while (n > 0) {
      double x = hi;
      double y = partials[--n];
      hi = x + y;
      double yr = hi - x;
      lo = y - yr;
      if (lo != 0.0) {
        break;
      }
    }
    if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
      double y = lo * 2;
      double x = hi + y;
      double yr = x - hi;
      if (y == yr) {
        hi = x;
      }
    }
    return hi;
  }

  void write(DataOutput out) throws IOException {
    Varints.write(out, size);
    for (int j = 0; j < size; j++) {
      out.writeDouble(partials[j]);
    }
  }

  static ExactSum read(DataInput in) throws IOException {
    ExactSum s = new ExactSum();
    int n = (int) Varints.read(in, "window state");
    s.partials = new double[Math.max(2, n)];
    for (int j = 0; j < n; j++) {
      s.partials[j] = in.readDouble();
    }
    s.size = n;
    return s;
  }
}
