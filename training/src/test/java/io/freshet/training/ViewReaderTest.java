package io.freshet.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.offline.AsOfScan;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

class ViewReaderTest {
  @Test
  void bytewise_order_is_utf8_byte_order_not_utf16_order() {
    List<String> keys =
        List.of("a", "B", "ä", "😀", "a b", "Ａ", "A", "ab", "b", "z", "ß", "\uFFFD", "", "a\tb");
    List<String> bytewise = new ArrayList<>(keys);
    bytewise.sort(ViewReader::compareBytewise);
    List<String> byBytes = new ArrayList<>(keys);
    byBytes.sort(
        Comparator.comparing(s -> s.getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned));
    assertThat(bytewise).isEqualTo(byBytes);
    assertThat(ViewReader.compareBytewise("\uFFFD", "😀")).isNegative();
    assertThat("\uFFFD".compareTo("😀")).isPositive();
  }

  @Test
  void literals_escape_quotes_and_backslashes() {
    assertThat(AsOfScan.literal("it's a \\ key")).isEqualTo("E'it''s a \\\\ key'");
  }

  @Test
  void key_timestamps_are_the_instants_of_their_microseconds() {
    long[] micros = {
      LabelTime.MIN_MICROS,
      LabelTime.MAX_MICROS - 1,
      0,
      -1,
      1,
      1_756_684_800_000_000L,
      1_756_684_800_123_456L,
      -86_400_000_000L + 7
    };
    for (long m : micros) {
      StringBuilder sb = new StringBuilder();
      ViewReader.appendTimestamp(sb, m);
      assertThat(sb).hasSize(27);
      assertThat(java.time.Instant.parse(sb)).as(sb.toString()).isEqualTo(LabelTime.fromMicros(m));
    }
  }
}
