package io.freshet.gateway.online;

import java.time.Duration;
import java.time.Instant;

/** How a served row relates to its view's TTL; the names follow Feast's field statuses. */
public enum FeatureStatus {
  /** The row is fresh: {@code now < feature_ts + ttl}, as long as Redis keeps the key. */
  PRESENT,
  /**
   * The row exists but has reached the view's TTL: {@code feature_ts + ttl <= now}, the instant at
   * which the online table expires it and a training set stops using it. Its values are still
   * returned, so the caller decides whether to use them.
   */
  OUTSIDE_MAX_AGE;

  /**
   * The status of a row with the given {@code feature_ts} (epoch ms) at {@code readMicros}, an
   * instant of the online store's clock in epoch microseconds: OUTSIDE_MAX_AGE from {@code
   * feature_ts + ttl} on, the TTL rounded up to microseconds. The rule an as-served training set
   * applies at a label instant, so an answer and its training row agree at the same instant.
   */
  public static FeatureStatus atMicros(long featureTsMillis, Duration ttl, long readMicros) {
    long ttlMicros = ttl.toNanos() / 1000 + (ttl.toNanos() % 1000 > 0 ? 1 : 0);
    return Math.multiplyExact(featureTsMillis, 1000L) + ttlMicros <= readMicros
        ? OUTSIDE_MAX_AGE
        : PRESENT;
  }

  /** The status of a row with the given {@code feature_ts} (epoch ms) at {@code now}. */
  public static FeatureStatus of(long featureTsMillis, Duration ttl, Instant now) {
    return featureTsMillis + ttl.toMillis() <= now.toEpochMilli() ? OUTSIDE_MAX_AGE : PRESENT;
  }
}
