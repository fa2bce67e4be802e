package io.freshet.dsl;

import java.time.Duration;

/** Formats durations the way definitions are written: {@code 1h}, {@code 15m}, {@code 90s}. */
public final class Durations {
  private Durations() {}

  /** Short form of a duration: the largest of d, h, m, s, ms that divides it exactly. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0s";
    }
    long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
    String[] names = {"d", "h", "m", "s", "ms"};
    for (int i = 0; i < units.length; i++) {
      if (ms % units[i] == 0) {
        return (ms / units[i]) + names[i];
      }
    }
    throw new AssertionError("unreachable");
  }

  static Duration checkPositive(String what, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new DefinitionException(
          what + " must be a positive duration, got " + (d == null ? "null" : format(d)));
    }
    if (d.toMillis() * 1_000_000L != d.toNanos()) {
      throw new DefinitionException(
          what + " must be a whole number of milliseconds, got " + d + " (round it to ms)");
    }
    return d;
  }

  static Duration checkNonNegative(String what, Duration d) {
    if (d == null || d.isNegative()) {
      throw new DefinitionException(
          what + " must be zero or a positive duration, got " + (d == null ? "null" : d));
    }
    if (d.toMillis() * 1_000_000L != d.toNanos()) {
      throw new DefinitionException(
          what + " must be a whole number of milliseconds, got " + d + " (round it to ms)");
    }
    return d;
  }
}
