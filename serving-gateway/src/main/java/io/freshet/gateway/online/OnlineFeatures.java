package io.freshet.gateway.online;

import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Objects;

/**
 * One entity's features of one view as served: the latest row of a window-end view, or the value of
 * a request-time view at the request instant.
 *
 * @param plan the view version the row was read with; {@code row.values()[i]} belongs to {@code
 *     plan.parts().get(i)}
 * @param row the decoded row; its entity key is the caller's, unencoded; for a request-time view
 *     its {@code feature_ts} is the request instant in milliseconds (the instant the windows end)
 * @param status whether the row is within the view's TTL (always PRESENT for a request-time value:
 *     the rule finds an expired entity not found instead)
 * @param eventMicros the event timestamp clients get, in epoch microseconds: the window end ({@code
 *     feature_ts * 1000}) for a window-end view; for a request-time view the request instant on the
 *     online store's clock, with its microseconds, which a training set uses as the label instant
 *     of an as-served row
 */
public record OnlineFeatures(
    ViewPlan plan, FeatureRow row, FeatureStatus status, long eventMicros) {
  private static final DateTimeFormatter MICROS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  public OnlineFeatures {
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(row, "row");
    Objects.requireNonNull(status, "status");
  }

  /** A window-end view's row: its event timestamp is its {@code feature_ts}. */
  public OnlineFeatures(ViewPlan plan, FeatureRow row, FeatureStatus status) {
    this(plan, row, status, Math.multiplyExact(row.featureTs(), 1000L));
  }

  /**
   * The event timestamp as an ISO-8601 instant in UTC: a window end as {@link Instant#toString}
   * writes it (e.g. {@code 2026-11-23T12:00:00Z}), a request instant always with six fractional
   * digits (e.g. {@code 2026-12-03T09:00:00.123456Z}), never rounded.
   */
  public String eventTimestamp() {
    return plan.requestTime() ? requestInstant(eventMicros) : instantText(eventMicros);
  }

  /** A request instant in epoch microseconds, always with six fractional digits. */
  public static String requestInstant(long micros) {
    long seconds = Math.floorDiv(micros, 1_000_000L);
    if (seconds < FIRST_SECOND || seconds > LAST_SECOND) {
      return MICROS.format(instant(micros));
    }
    char[] text = new char[27];
    int at = dateTime(text, seconds);
    text[at++] = '.';
    at = digits(text, at, Math.floorMod(micros, 1_000_000L), 6);
    text[at] = 'Z';
    return new String(text);
  }

  /** {@code Instant.toString()} of the instant at {@code micros}, without the formatter. */
  static String instantText(long micros) {
    long seconds = Math.floorDiv(micros, 1_000_000L);
    if (seconds < FIRST_SECOND || seconds > LAST_SECOND) {
      return instant(micros).toString();
    }
    int fraction = (int) Math.floorMod(micros, 1_000_000L);
    int digits = fraction == 0 ? 0 : fraction % 1000 == 0 ? 3 : 6;
    char[] text = new char[20 + (digits == 0 ? 0 : digits + 1)];
    int at = dateTime(text, seconds);
    if (digits > 0) {
      text[at++] = '.';
      at = digits(text, at, digits == 3 ? fraction / 1000 : fraction, digits);
    }
    text[at] = 'Z';
    return new String(text);
  }

  /** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: years written with four digits, no sign. */
  private static final long FIRST_SECOND = -62_167_219_200L;

  private static final long LAST_SECOND = 253_402_300_799L;

  /** Writes {@code yyyy-MM-ddTHH:mm:ss} of a UTC instant in the four-digit years; returns 19. */
  private static int dateTime(char[] text, long seconds) {
    long days = Math.floorDiv(seconds, 86_400L);
    int secondOfDay = (int) Math.floorMod(seconds, 86_400L);
    // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil, inverted).
    long z = days + 719_468L;
    long era = Math.floorDiv(z, 146_097L);
    long dayOfEra = z - era * 146_097L;
    long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
    long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
    long mp = (5 * dayOfYear + 2) / 153;
    int day = (int) (dayOfYear - (153 * mp + 2) / 5 + 1);
    int month = (int) (mp < 10 ? mp + 3 : mp - 9);
    int year = (int) (yearOfEra + era * 400 + (month <= 2 ? 1 : 0));
    int at = digits(text, 0, year, 4);
    text[at++] = '-';
    at = digits(text, at, month, 2);
    text[at++] = '-';
    at = digits(text, at, day, 2);
    text[at++] = 'T';
    at = digits(text, at, secondOfDay / 3600, 2);
    text[at++] = ':';
    at = digits(text, at, secondOfDay / 60 % 60, 2);
    text[at++] = ':';
    return digits(text, at, secondOfDay % 60, 2);
  }

  private static int digits(char[] text, int at, long value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      text[i] = (char) ('0' + value % 10);
      value /= 10;
    }
    return at + width;
  }

  private static Instant instant(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
  }
}
