package io.freshet.training;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoUnit;

/**
 * Label times as the builder reads them, and the microsecond arithmetic of the join.
 *
 * <p>A label time is an ISO-8601 instant with a zone offset ({@code 2026-11-20T12:00:00Z}, {@code
 * 2026-11-20T13:00:00.250+01:00}, or Postgres' {@code 2026-11-20 12:00:00+00}) or a whole number of
 * epoch milliseconds ({@code 1795089600000}). A date-time without an offset is refused rather than
 * guessed. Times are kept in epoch microseconds, the precision of Postgres' {@code timestamptz}; a
 * finer label time is truncated, which decides every comparison with a microsecond {@code
 * feature_ts} exactly as the full value would.
 */
final class LabelTime {
  /** 0001-01-01T00:00:00Z: label times before it are refused. */
  static final long MIN_MICROS = -62_135_596_800_000_000L;

  /** 10000-01-01T00:00:00Z (exclusive): label times from it on are refused. */
  static final long MAX_MICROS = 253_402_300_800_000_000L;

  /** 4713-01-01 BC, the earliest {@code timestamptz} Postgres holds. */
  static final long POSTGRES_MIN_MICROS = -210_866_803_200_000_000L;

  private static final DateTimeFormatter ISO =
      new DateTimeFormatterBuilder()
          .parseCaseInsensitive()
          .append(DateTimeFormatter.ISO_LOCAL_DATE)
          .appendLiteral('T')
          .append(DateTimeFormatter.ISO_LOCAL_TIME)
          .parseLenient()
          .appendOffset("+HH:MM:ss", "Z")
          .toFormatter();

  private LabelTime() {}

  /**
   * Epoch microseconds of a label time.
   *
   * @throws IllegalArgumentException naming the problem, when the text is none of the accepted
   *     forms or lies outside years 1 to 9999
   */
  static long parseMicros(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("is empty");
    }
    long micros;
    if (isInteger(text)) {
      long millis;
      try {
        millis = Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' is too large for epoch milliseconds");
      }
      micros = saturatedMultiply(millis, 1000);
    } else {
      String iso = text.length() > 10 && text.charAt(10) == ' ' ? replaceAt10(text) : text;
      Instant instant;
      try {
        instant = OffsetDateTime.parse(iso, ISO).toInstant();
      } catch (DateTimeException e) {
        throw new IllegalArgumentException(
            "'"
                + text
                + "' is neither an ISO-8601 instant with an offset nor epoch milliseconds"
                + " (e.g. 2026-11-20T12:00:00Z or 1795089600000)");
      }
      micros = toMicros(instant);
    }
    if (micros < MIN_MICROS || micros >= MAX_MICROS) {
      throw new IllegalArgumentException(
          "'" + text + "' is outside the years 1 to 9999 that label times may take");
    }
    return micros;
  }

  /** Epoch microseconds of an instant, truncated toward the past. */
  static long toMicros(Instant instant) {
    return saturatedAdd(
        saturatedMultiply(instant.getEpochSecond(), 1_000_000), instant.getNano() / 1000);
  }

  /** The instant of epoch microseconds. */
  static Instant fromMicros(long micros) {
    return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
  }

  /**
   * A duration in whole microseconds, rounded up: for integral {@code a} and {@code b}, {@code a +
   * d <= b} iff {@code a + ceil(d) <= b} and {@code b < a + d} iff {@code b < a + ceil(d)}, so the
   * join decides exactly as with the full duration. Saturates instead of overflowing.
   */
  static long ceilMicros(Duration d) {
    long micros = saturatedMultiply(d.getSeconds(), 1_000_000);
    int nanos = d.getNano();
    return saturatedAdd(micros, nanos / 1000 + (nanos % 1000 == 0 ? 0 : 1));
  }

  static long saturatedAdd(long a, long b) {
    long r = a + b;
    if (((a ^ r) & (b ^ r)) < 0) {
      return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return r;
  }

  static long saturatedMultiply(long a, long b) {
    long hi = Math.multiplyHigh(a, b);
    long lo = a * b;
    if ((hi == 0 && lo >= 0) || (hi == -1 && lo < 0)) {
      return lo;
    }
    return (a < 0) == (b < 0) ? Long.MAX_VALUE : Long.MIN_VALUE;
  }

  private static boolean isInteger(String s) {
    int start = s.charAt(0) == '-' ? 1 : 0;
    if (start == s.length()) {
      return false;
    }
    for (int i = start; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private static String replaceAt10(String text) {
    return text.substring(0, 10) + 'T' + text.substring(11);
  }
}
