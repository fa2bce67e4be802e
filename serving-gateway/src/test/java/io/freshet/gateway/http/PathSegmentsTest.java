package io.freshet.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PathSegmentsTest {
  @Test
  void splits_on_every_slash_keeping_empty_segments() {
    assertThat(PathSegments.split("v/e")).containsExactly("v", "e");
    assertThat(PathSegments.split("v/")).containsExactly("v", "");
    assertThat(PathSegments.split("v/e%2Fx/y")).containsExactly("v", "e%2Fx", "y");
  }

  @Test
  void decodes_percent_escapes_as_utf8() {
    assertThat(PathSegments.decode("user%20%7B42%7D%2F%C3%A9%F0%9F%98%80"))
        .isEqualTo("user {42}/é😀");
    assertThat(PathSegments.decode("%e6%9d%b1")).isEqualTo("東");
  }

  @Test
  void keeps_plus_literal() {
    assertThat(PathSegments.decode("a+b")).isEqualTo("a+b");
  }

  @Test
  void reads_unescaped_utf8_sent_one_byte_per_char() {
    String asTheHttpDecoderSeesIt =
        new String("é 東".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);

    assertThat(PathSegments.decode(asTheHttpDecoderSeesIt)).isEqualTo("é 東");
  }

  @Test
  void rejects_an_incomplete_escape() {
    assertThatThrownBy(() -> PathSegments.decode("ab%4"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "incomplete percent escape at position 2 (a '%' must be followed by two hex digits;"
                + " write a literal '%' as %25)");
  }

  @Test
  void rejects_non_hex_escapes_including_other_scripts_digits() {
    assertThatThrownBy(() -> PathSegments.decode("%zz"))
        .hasMessageStartingWith("malformed percent escape '%zz' at position 0");
    assertThatThrownBy(() -> PathSegments.decode("%\u0663\u0663"))
        .hasMessageStartingWith("malformed percent escape");
  }

  @Test
  void rejects_escapes_that_are_not_utf8() {
    assertThatThrownBy(() -> PathSegments.decode("%C3%28"))
        .hasMessage(
            "percent escapes do not decode as UTF-8 (encode the text as UTF-8 before escaping"
                + " it)");
  }
}
