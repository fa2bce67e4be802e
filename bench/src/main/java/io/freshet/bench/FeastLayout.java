package io.freshet.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Feast's Redis online layout (Feast Online Store Format, Redis flavour), written by hand:
 *
 * <ul>
 *   <li>key: serialized {@code RedisKeyV2 {string project = 1; repeated string entity_names = 2;
 *       repeated feast.types.Value entity_values = 3}};
 *   <li>one Redis hash per entity; field = little-endian Murmur3_32 (seed 0) of {@code view + ":" +
 *       feature}, value = serialized {@code feast.types.Value};
 *   <li>field {@code "_ts:" + view} = serialized {@code google.protobuf.Timestamp}.
 * </ul>
 */
final class FeastLayout {
  private FeastLayout() {}

  static byte[] key(String project, String joinKey, String entity) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    string(b, 1, project);
    string(b, 2, joinKey);
    bytes(b, 3, stringValue(entity));
    return b.toByteArray();
  }

  static byte[] field(String view, String feature) {
    int h = murmur3((view + ":" + feature).getBytes(StandardCharsets.UTF_8));
    return new byte[] {(byte) h, (byte) (h >>> 8), (byte) (h >>> 16), (byte) (h >>> 24)};
  }

  static byte[] tsField(String view) {
    return ("_ts:" + view).getBytes(StandardCharsets.UTF_8);
  }

  /** {@code Value { string string_val = 2; }} */
  static byte[] stringValue(String s) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    string(b, 2, s);
    return b.toByteArray();
  }

  /** {@code Value { int64 int64_val = 4; }} */
  static byte[] int64Value(long v) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    varint(b, (4 << 3));
    varint(b, v);
    return b.toByteArray();
  }

  /** {@code Value { double double_val = 5; }} */
  static byte[] doubleValue(double d) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    varint(b, (5 << 3) | 1);
    long bits = Double.doubleToRawLongBits(d);
    for (int i = 0; i < 8; i++) {
      b.write((int) (bits >>> (8 * i)));
    }
    return b.toByteArray();
  }

  /** {@code google.protobuf.Timestamp { int64 seconds = 1; int32 nanos = 2; }} */
  static byte[] timestamp(long epochMillis) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    long seconds = Math.floorDiv(epochMillis, 1000);
    int nanos = (int) Math.floorMod(epochMillis, 1000) * 1_000_000;
    if (seconds != 0) {
      varint(b, 1 << 3);
      varint(b, seconds);
    }
    if (nanos != 0) {
      varint(b, 2 << 3);
      varint(b, nanos);
    }
    return b.toByteArray();
  }

  private static void string(ByteArrayOutputStream b, int field, String s) {
    bytes(b, field, s.getBytes(StandardCharsets.UTF_8));
  }

  private static void bytes(ByteArrayOutputStream b, int field, byte[] v) {
    varint(b, (field << 3) | 2);
    varint(b, v.length);
    b.write(v, 0, v.length);
  }

  private static void varint(ByteArrayOutputStream b, long v) {
    while ((v & ~0x7FL) != 0) {
      b.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    b.write((int) v);
  }

  /** MurmurHash3 x86 32-bit, seed 0, as Python's {@code mmh3.hash} computes it. */
  static int murmur3(byte[] data) {
    int h = 0;
    int n = data.length & ~3;
    for (int i = 0; i < n; i += 4) {
      int k =
          (data[i] & 0xff)
              | (data[i + 1] & 0xff) << 8
              | (data[i + 2] & 0xff) << 16
              | (data[i + 3] & 0xff) << 24;
      k *= 0xcc9e2d51;
      k = Integer.rotateLeft(k, 15);
      k *= 0x1b873593;
      h ^= k;
      h = Integer.rotateLeft(h, 13);
      h = h * 5 + 0xe6546b64;
    }
    int k = 0;
    switch (data.length & 3) {
      case 3:
        k ^= (data[n + 2] & 0xff) << 16;
      case 2:
        k ^= (data[n + 1] & 0xff) << 8;
      case 1:
        k ^= (data[n] & 0xff);
        k *= 0xcc9e2d51;
        k = Integer.rotateLeft(k, 15);
        k *= 0x1b873593;
        h ^= k;
      default:
    }
    h ^= data.length;
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }
}
