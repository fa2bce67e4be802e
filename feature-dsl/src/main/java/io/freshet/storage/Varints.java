package io.freshet.storage;

import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * The one varint and zig-zag codec of Freshet's byte layouts: the online value, the checkpointed
 * committable and the window operator's slice state all write numbers with it.
 *
 * <p>A varint is unsigned LEB128: seven bits per byte, least significant group first, the high bit
 * set on every byte but the last; a long takes 1 to 10 bytes, so small counts take one. A signed
 * number is zig-zag mapped first ({@code 0, -1, 1, -2 ...} to {@code 0, 1, 2, 3 ...}), so that
 * small negative numbers stay short too.
 *
 * <p>Pure functions over the JDK's streams; stateless and thread-safe.
 */
public final class Varints {
  /** The most bytes a varint of a long takes. */
  public static final int MAX_BYTES = 10;

  private Varints() {}

  /** Maps a signed long to an unsigned one with small magnitudes kept small. */
  public static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  /** The inverse of {@link #zigzag}. */
  public static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  /** Writes {@code v} as an unsigned varint. */
  public static void write(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  /** Writes {@code v} as an unsigned varint. */
  public static void write(DataOutput out, long v) throws IOException {
    while ((v & ~0x7FL) != 0) {
      out.writeByte((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.writeByte((int) v);
  }

  /**
   * Reads an unsigned varint at {@code position[0]} of {@code bytes} and advances the position past
   * it.
   *
   * @throws ArrayIndexOutOfBoundsException if the bytes end inside the varint
   * @throws IllegalArgumentException if the varint runs over {@value #MAX_BYTES} bytes
   */
  public static long read(byte[] bytes, int[] position) {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = bytes[position[0]++];
      result |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new IllegalArgumentException("a varint runs over " + MAX_BYTES + " bytes");
  }

  /**
   * Reads an unsigned varint.
   *
   * @param what the bytes being read, for the message of a malformed varint (e.g. "window state")
   * @throws IOException if the input ends inside the varint, or it runs over {@value #MAX_BYTES}
   *     bytes
   */
  public static long read(DataInput in, String what) throws IOException {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.readByte();
      result |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new IOException(what + " is corrupt: a varint runs over " + MAX_BYTES + " bytes");
  }
}
