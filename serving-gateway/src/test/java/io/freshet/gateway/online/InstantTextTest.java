package io.freshet.gateway.online;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The instants of answers written without java.time's formatters: the same text as {@link
 * Instant#toString} and the six-digit pattern, across the four-digit years, their edges and beyond
 * them.
 */
class InstantTextTest {
  private static final DateTimeFormatter MICROS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private static Instant instant(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
  }

  private static void same(long micros) {
    assertThat(OnlineFeatures.instantText(micros))
        .as("%d", micros)
        .isEqualTo(instant(micros).toString());
    assertThat(OnlineFeatures.requestInstant(micros))
        .as("%d", micros)
        .isEqualTo(MICROS.format(instant(micros)));
  }

  @Test
  void writes_what_the_formatters_write() {
    long[] edges = {
      0,
      1,
      -1,
      999,
      1000,
      1_000_000,
      -1_000_000,
      86_400_000_000L,
      -86_400_000_000L,
      951_782_400_000_000L, // 2000-02-29
      1_764_758_400_123_456L,
      -62_167_219_200_000_000L, // 0000-01-01
      -62_167_219_200_000_001L,
      253_402_300_799_999_999L, // 9999-12-31T23:59:59.999999
      253_402_300_800_000_000L, // 10000-01-01
      -62_135_596_800_000_000L, // 0001-01-01
      -2_208_988_800_000_000L, // 1900-01-01
      4_102_444_800_000_000L, // 2100-01-01
      Long.MAX_VALUE / 2,
      Long.MIN_VALUE / 2
    };
    for (long e : edges) {
      for (long d = -2; d <= 2; d++) {
        same(e + d);
        same(e + d * 1000);
      }
    }
    Random random = new Random(7);
    for (int i = 0; i < 200_000; i++) {
      long micros =
          switch (i % 4) {
            case 0 -> random.nextLong() >> 6; // any year the types hold
            case 1 -> (random.nextLong() >> 1) % 253_402_300_800_000_000L;
            case 2 -> 1_700_000_000_000_000L + (random.nextLong() % 400_000_000_000_000L);
            default -> (1_700_000_000_000L + random.nextInt(1_000_000_000)) * 1000L; // millis
          };
      same(micros);
    }
  }
}
