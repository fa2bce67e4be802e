package io.freshet.online;

import io.freshet.plan.DerivedValues;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Varints;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The one owner of the online value layout. Writers and readers both go through this class.
 *
 * <p>Only the aggregated parts are stored. The derived parts are pure functions of them: {@link
 * #decode} recomputes them with {@link DerivedValues}, the same code the window operator computes
 * them with, so every reader still gets one value per part of the plan.
 *
 * <pre>
 * offset  size      field
 * 0       1         format version, {@value #FORMAT_VERSION}
 * 1       8         feature_ts, epoch milliseconds, big-endian int64
 * 9       varint    number of stored values n (must equal the plan's count of aggregated parts)
 * ...     ceil(n/8) null bitmap: bit (i % 8) of byte (i / 8) set when stored value i is null
 * ...     ...       the non-null stored values in part order:
 *                     INT64   zig-zag varint
 *                     FLOAT64 8 bytes, IEEE 754 big-endian
 *                     STRING  varint byte length, then UTF-8 bytes
 *                     STRING_LIST  varint element count, then each element as a STRING
 * </pre>
 *
 * <p>A value of {@code user_activity} (6 aggregated parts) takes at most 42 bytes for counts up to
 * 10^4 and a platform of up to 10 characters: within the 44 bytes up to which Redis keeps a string
 * in one allocation together with its header.
 *
 * <p>In the store, the online writer's script follows the encoded row with its visibility stamp
 * ({@link NewestWinsScript#STAMP_BYTES} bytes, see {@link NewestWinsScript}); {@link #decode} reads
 * the row and ignores whatever follows it.
 *
 * <p>The key carries the view's version tag, so a value is always read with the plan that wrote it.
 * A reader seeing another format version or a value count that differs from the plan rejects the
 * value with {@link IllegalArgumentException} rather than guessing. Version 1 stored the derived
 * parts too; an online table written in it is rewritten with {@code freshet restore-online}.
 */
public final class OnlineCodec implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  /** The layout version written in byte 0. */
  public static final byte FORMAT_VERSION = 2;

  /**
   * Where feature_ts starts: bytes {@code [FEATURE_TS_OFFSET, FEATURE_TS_OFFSET + 8)} hold it as a
   * big-endian int64, so a store can compare the recency of two values of the same format version
   * without decoding them (the online sink's newest-wins script does).
   */
  public static final int FEATURE_TS_OFFSET = 1;

  private final ViewPlan plan;
  private final int partCount;

  /** The aggregated parts, the ones stored, in part order. */
  private final List<FeaturePart> stored;

  private final DerivedValues derived;

  public OnlineCodec(ViewPlan plan) {
    this.plan = plan;
    this.partCount = plan.parts().size();
    this.stored = plan.parts().stream().filter(p -> !p.isDerived()).toList();
    this.derived = DerivedValues.of(plan);
  }

  public ViewPlan plan() {
    return plan;
  }

  /**
   * Encodes a row's feature_ts and aggregated values. The row's derived values are not stored:
   * {@link #decode} recomputes them.
   */
  public byte[] encode(FeatureRow row) {
    Object[] values = row.values();
    if (values.length != partCount) {
      throw new IllegalArgumentException(
          "row for view '"
              + plan.name()
              + "' has "
              + values.length
              + " values, the plan has "
              + partCount
              + " parts");
    }
    int n = stored.size();
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 + 9 * n);
    out.write(FORMAT_VERSION);
    long ts = row.featureTs();
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.write((int) (ts >>> shift));
    }
    Varints.write(out, n);
    byte[] bitmap = new byte[(n + 7) / 8];
    for (int i = 0; i < n; i++) {
      if (values[stored.get(i).index()] == null) {
        bitmap[i >>> 3] |= (byte) (1 << (i & 7));
      }
    }
    out.writeBytes(bitmap);
    for (FeaturePart p : stored) {
      Object v = values[p.index()];
      if (v == null) {
        continue;
      }
      switch (p.type()) {
        case INT64 -> Varints.write(out, Varints.zigzag(((Number) v).longValue()));
        case FLOAT64 -> {
          long bits = Double.doubleToRawLongBits(((Number) v).doubleValue());
          for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (bits >>> shift));
          }
        }
        case STRING -> writeString(out, v.toString());
        case STRING_LIST -> {
          List<?> list = (List<?>) v;
          Varints.write(out, list.size());
          for (Object e : list) {
            writeString(out, String.valueOf(e));
          }
        }
      }
    }
    return out.toByteArray();
  }

  /**
   * Decodes a value written by {@link #encode} into one value per part of the plan, the derived
   * ones recomputed; the entity key is supplied by the caller. Bytes after the row (the store's
   * visibility stamp) are ignored.
   */
  public FeatureRow decode(String entityKey, byte[] bytes) {
    if (bytes == null || bytes.length < 10) {
      throw new IllegalArgumentException(
          "online value for view '" + plan.name() + "' is truncated (" + len(bytes) + " bytes)");
    }
    if (bytes[0] != FORMAT_VERSION) {
      throw new IllegalArgumentException(
          "online value for view '"
              + plan.name()
              + "' has format version "
              + bytes[0]
              + ", this reader expects "
              + FORMAT_VERSION
              + (bytes[0] < FORMAT_VERSION
                  ? " (an older layout: rewrite the online table with 'freshet restore-online')"
                  : " (a newer layout: upgrade the reader)"));
    }
    int[] pos = {1};
    long ts = 0;
    for (int i = 0; i < 8; i++) {
      ts = (ts << 8) | (bytes[pos[0]++] & 0xFF);
    }
    int n = (int) Varints.read(bytes, pos);
    if (n != stored.size()) {
      throw new IllegalArgumentException(
          "online value for view '"
              + plan.name()
              + "' holds "
              + n
              + " values, the plan has "
              + stored.size()
              + " aggregated parts");
    }
    int bitmapAt = pos[0];
    pos[0] += (n + 7) / 8;
    Object[] values = new Object[partCount];
    try {
      for (int s = 0; s < n; s++) {
        if ((bytes[bitmapAt + (s >>> 3)] & (1 << (s & 7))) != 0) {
          continue;
        }
        FeaturePart p = stored.get(s);
        int i = p.index();
        switch (p.type()) {
          case INT64 -> values[i] = Varints.unzigzag(Varints.read(bytes, pos));
          case FLOAT64 -> {
            long bits = 0;
            for (int k = 0; k < 8; k++) {
              bits = (bits << 8) | (bytes[pos[0]++] & 0xFF);
            }
            values[i] = Double.longBitsToDouble(bits);
          }
          case STRING -> values[i] = readString(bytes, pos);
          case STRING_LIST -> {
            int count = (int) Varints.read(bytes, pos);
            List<String> list = new ArrayList<>(Math.min(count, 1024));
            for (int k = 0; k < count; k++) {
              list.add(readString(bytes, pos));
            }
            values[i] = List.copyOf(list);
          }
        }
      }
    } catch (ArrayIndexOutOfBoundsException
        | StringIndexOutOfBoundsException
        | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "online value for view '" + plan.name() + "' is truncated (" + len(bytes) + " bytes)", e);
    }
    derived.fill(values);
    return new FeatureRow(entityKey, ts, values);
  }

  /** Reads only the feature_ts of an encoded value (bytes 1..8). */
  public static long featureTs(byte[] bytes) {
    long ts = 0;
    for (int i = 1; i <= 8; i++) {
      ts = (ts << 8) | (bytes[i] & 0xFF);
    }
    return ts;
  }

  private static void writeString(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    Varints.write(out, b.length);
    out.writeBytes(b);
  }

  private static String readString(byte[] bytes, int[] pos) {
    int l = (int) Varints.read(bytes, pos);
    if (l < 0 || pos[0] + l > bytes.length) {
      throw new ArrayIndexOutOfBoundsException("string of " + l + " bytes at " + pos[0]);
    }
    String s = new String(bytes, pos[0], l, StandardCharsets.UTF_8);
    pos[0] += l;
    return s;
  }

  private static int len(byte[] b) {
    return b == null ? 0 : b.length;
  }
}
