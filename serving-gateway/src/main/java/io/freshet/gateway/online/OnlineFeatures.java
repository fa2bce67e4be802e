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
    return plan.requestTime() ? requestInstant(eventMicros) : instant(eventMicros).toString();
  }

  /** A request instant in epoch microseconds, always with six fractional digits. */
  public static String requestInstant(long micros) {
    return MICROS.format(instant(micros));
  }

  private static Instant instant(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
  }
}
