package io.freshet.flink.window;

import io.freshet.dsl.FeatureType;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import java.io.ByteArrayOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The state form of the values the operator last emitted for a key, which it compares a new
 * window's values against to emit only changes. It is only ever compared byte for byte, never
 * decoded. The layout is pinned here, apart from the online store's value format, so that the two
 * can change independently; it is the layout the operator has always stored, which a savepoint of
 * an earlier version holds:
 *
 * <pre>
 * offset  size      field
 * 0       1         layout version, 2
 * 1       8         zero (a feature_ts slot, always 0 in state)
 * 9       varint    number of aggregated parts n
 * ...     ceil(n/8) null bitmap: bit (i % 8) of byte (i / 8) set when aggregated part i is null
 * ...     ...       the non-null values of the aggregated parts, in part order:
 *                     INT64        zig-zag varint
 *                     FLOAT64      8 bytes, IEEE 754 big-endian
 *                     STRING       varint byte length, then UTF-8 bytes
 *                     STRING_LIST  varint element count, then each element as a STRING
 * </pre>
 *
 * <p>Varints are unsigned LEB128. Derived parts are not kept: they are functions of the others.
 */
final class LastEmittedCodec implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Byte 0 of every encoded value. */
  static final byte VERSION = 2;

  private final int[] indexes;
  private final FeatureType[] types;

  LastEmittedCodec(ViewPlan plan) {
    List<FeaturePart.Aggregated> aggregated = plan.aggregatedParts();
    this.indexes = aggregated.stream().mapToInt(FeaturePart::index).toArray();
    this.types = aggregated.stream().map(FeaturePart::type).toArray(FeatureType[]::new);
  }

  /** Encodes the aggregated values of a window's values, indexed by part as in a row. */
  byte[] encode(Object[] values) {
    int n = indexes.length;
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 + 9 * n);
    out.write(VERSION);
    out.writeBytes(new byte[8]);
    writeVarint(out, n);
    byte[] bitmap = new byte[(n + 7) / 8];
    for (int i = 0; i < n; i++) {
      if (values[indexes[i]] == null) {
        bitmap[i >>> 3] |= (byte) (1 << (i & 7));
      }
    }
    out.writeBytes(bitmap);
    for (int i = 0; i < n; i++) {
      Object v = values[indexes[i]];
      if (v == null) {
        continue;
      }
      switch (types[i]) {
        case INT64 -> {
          long l = ((Number) v).longValue();
          writeVarint(out, (l << 1) ^ (l >> 63));
        }
        case FLOAT64 -> {
          long bits = Double.doubleToRawLongBits(((Number) v).doubleValue());
          for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (bits >>> shift));
          }
        }
        case STRING -> writeString(out, v.toString());
        case STRING_LIST -> {
          List<?> list = (List<?>) v;
          writeVarint(out, list.size());
          for (Object e : list) {
            writeString(out, String.valueOf(e));
          }
        }
      }
    }
    return out.toByteArray();
  }

  private static void writeString(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    writeVarint(out, b.length);
    out.writeBytes(b);
  }

  private static void writeVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }
}
