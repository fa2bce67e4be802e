package io.freshet.gateway.online;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The TTL edge is the one the online table and the training-set builder use. */
class FeatureStatusTest {
  private static final long F = 1_795_435_200_000L;
  private static final Duration TTL = Duration.ofHours(2);

  @Test
  void present_until_the_instant_redis_expires_the_key() {
    long expiry = F + TTL.toMillis();
    assertThat(FeatureStatus.of(F, TTL, Instant.ofEpochMilli(expiry - 1)))
        .isEqualTo(FeatureStatus.PRESENT);
    assertThat(FeatureStatus.of(F, TTL, Instant.ofEpochMilli(expiry)))
        .isEqualTo(FeatureStatus.OUTSIDE_MAX_AGE);
    assertThat(FeatureStatus.of(F, TTL, Instant.ofEpochMilli(F))).isEqualTo(FeatureStatus.PRESENT);
  }
}
