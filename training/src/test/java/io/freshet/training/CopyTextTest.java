package io.freshet.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CopyTextTest {
  private static String decode(String field) {
    byte[] b = field.getBytes(StandardCharsets.UTF_8);
    return CopyText.decode(b, 0, b.length);
  }

  @Test
  void decodes_null_escapes_and_utf8() {
    assertThat(decode("\\N")).isNull();
    assertThat(decode("")).isEmpty();
    assertThat(decode("a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh")).isEqualTo("a\tb\nc\rd\\e\bf\fg\u000Bh");
    assertThat(decode("\\101\\x42\\7")).isEqualTo("AB\u0007");
    assertThat(decode("ä😀\\tx")).isEqualTo("ä😀\tx");
  }

  @Test
  void what_it_appends_decodes_back() {
    for (String s : new String[] {"plain", "tab\there", "new\nline", "back\\slash", "\\N", "ü"}) {
      StringBuilder sb = new StringBuilder();
      CopyText.append(sb, s);
      assertThat(decode(sb.toString())).isEqualTo(s);
    }
    StringBuilder nul = new StringBuilder();
    CopyText.append(nul, null);
    assertThat(decode(nul.toString())).isNull();
  }

  @Test
  void splits_rows_and_parses_numbers() {
    byte[] row = "key\t-1795089600000000\t\\N\n".getBytes(StandardCharsets.UTF_8);
    int a = CopyText.fieldEnd(row, 0);
    int b = CopyText.fieldEnd(row, a + 1);
    int c = CopyText.fieldEnd(row, b + 1);
    assertThat(CopyText.decode(row, 0, a)).isEqualTo("key");
    assertThat(CopyText.parseLong(row, a + 1, b)).isEqualTo(-1795089600000000L);
    assertThat(CopyText.decode(row, b + 1, c)).isNull();
    assertThat(c).isEqualTo(row.length - 1);
  }
}
