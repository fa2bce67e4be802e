package io.freshet.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LabelTimeTest {
  private static long micros(String instant) {
    return LabelTime.toMicros(Instant.parse(instant));
  }

  @Test
  void reads_iso_instants_with_any_offset_and_epoch_millis() {
    long noon = micros("2026-11-20T12:00:00Z");
    assertThat(LabelTime.parseMicros("2026-11-20T12:00:00Z")).isEqualTo(noon);
    assertThat(LabelTime.parseMicros("2026-11-20T13:00:00+01:00")).isEqualTo(noon);
    assertThat(LabelTime.parseMicros("2026-11-20T04:00-08:00")).isEqualTo(noon);
    assertThat(LabelTime.parseMicros("2026-11-20 12:00:00+00")).isEqualTo(noon);
    assertThat(LabelTime.parseMicros("2026-11-20t12:00:00z")).isEqualTo(noon);
    assertThat(LabelTime.parseMicros(Long.toString(noon / 1000))).isEqualTo(noon);
    assertThat(LabelTime.parseMicros("-1")).isEqualTo(-1000);
    assertThat(LabelTime.parseMicros("2026-11-20T12:00:00.000001Z")).isEqualTo(noon + 1);
  }

  @Test
  void truncates_below_a_microsecond() {
    assertThat(LabelTime.parseMicros("1970-01-01T00:00:00.000001999Z")).isEqualTo(1);
    assertThat(LabelTime.parseMicros("1969-12-31T23:59:59.999999999Z")).isEqualTo(-1);
  }

  @Test
  void refuses_times_without_an_offset_or_out_of_range() {
    assertThatThrownBy(() -> LabelTime.parseMicros("2026-11-20T12:00:00"))
        .hasMessage(
            "'2026-11-20T12:00:00' is neither an ISO-8601 instant with an offset nor epoch"
                + " milliseconds (e.g. 2026-11-20T12:00:00Z or 1795089600000)");
    assertThatThrownBy(() -> LabelTime.parseMicros("1.5e12")).hasMessageContaining("neither");
    assertThatThrownBy(() -> LabelTime.parseMicros("")).hasMessage("is empty");
    assertThatThrownBy(() -> LabelTime.parseMicros("-")).hasMessageContaining("neither");
    assertThatThrownBy(() -> LabelTime.parseMicros("300000000000000"))
        .hasMessage("'300000000000000' is outside the years 1 to 9999 that label times may take");
  }

  @Test
  void durations_round_up_to_whole_microseconds_so_comparisons_stay_exact() {
    assertThat(LabelTime.ceilMicros(Duration.ofMinutes(10))).isEqualTo(600_000_000L);
    assertThat(LabelTime.ceilMicros(Duration.ofNanos(1))).isEqualTo(1);
    assertThat(LabelTime.ceilMicros(Duration.ofNanos(2001))).isEqualTo(3);
    assertThat(LabelTime.ceilMicros(Duration.ofSeconds(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
    assertThat(LabelTime.saturatedAdd(Long.MAX_VALUE, 1)).isEqualTo(Long.MAX_VALUE);
    assertThat(LabelTime.saturatedAdd(Long.MIN_VALUE, -1)).isEqualTo(Long.MIN_VALUE);
  }
}
