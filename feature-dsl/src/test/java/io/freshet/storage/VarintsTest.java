package io.freshet.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class VarintsTest {
  @Test
  void writes_unsigned_leb128_least_significant_group_first() {
    assertThat(bytes(0)).containsExactly(0x00);
    assertThat(bytes(127)).containsExactly(0x7F);
    assertThat(bytes(128)).containsExactly(0x80, 0x01);
    assertThat(bytes(300)).containsExactly(0xAC, 0x02);
    assertThat(bytes(-1)).hasSize(Varints.MAX_BYTES);
  }

  @Test
  void zigzag_keeps_small_negative_numbers_small() {
    assertThat(Varints.zigzag(0)).isZero();
    assertThat(Varints.zigzag(-1)).isEqualTo(1);
    assertThat(Varints.zigzag(1)).isEqualTo(2);
    assertThat(Varints.zigzag(-2)).isEqualTo(3);
    for (long v : new long[] {Long.MIN_VALUE, -300, 0, 300, Long.MAX_VALUE}) {
      assertThat(Varints.unzigzag(Varints.zigzag(v))).isEqualTo(v);
    }
  }

  @Test
  void stream_and_array_forms_write_and_read_the_same_bytes() throws IOException {
    for (long v : new long[] {0, 1, 127, 128, 1L << 35, Long.MAX_VALUE, -1}) {
      ByteArrayOutputStream data = new ByteArrayOutputStream();
      Varints.write(new DataOutputStream(data), v);
      byte[] b = data.toByteArray();
      assertThat(b).isEqualTo(rawBytes(v));
      assertThat(Varints.read(new DataInputStream(new ByteArrayInputStream(b)), "test"))
          .isEqualTo(v);
      int[] pos = {0};
      assertThat(Varints.read(b, pos)).isEqualTo(v);
      assertThat(pos[0]).isEqualTo(b.length);
    }
  }

  @Test
  void rejects_a_varint_over_ten_bytes_naming_what_is_read() {
    byte[] b = new byte[11];
    Arrays.fill(b, (byte) 0x80);
    assertThatThrownBy(
            () -> Varints.read(new DataInputStream(new ByteArrayInputStream(b)), "window state"))
        .isInstanceOf(IOException.class)
        .hasMessage("window state is corrupt: a varint runs over 10 bytes");
  }

  private static byte[] rawBytes(long v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Varints.write(out, v);
    return out.toByteArray();
  }

  private static int[] bytes(long v) {
    byte[] b = rawBytes(v);
    int[] u = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      u[i] = b[i] & 0xFF;
    }
    return u;
  }
}
