package io.freshet.aggregate;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;

/**
 * The compact state form of one slice: every aggregated part's accumulator in one byte array. This
 * is the one place that draws the slice bytes of every aggregation kind; the {@link
 * PartAggregator}s write and read them. The bytes are Flink state: a change here breaks the restore
 * of every savepoint, so a new layout needs a new format version.
 *
 * <pre>
 * byte 0          format version, 1
 * ceil(n/8) bytes presence bitmap over the n aggregated parts: bit (i % 8) of byte (i / 8) set
 *                 when aggregated part i has an accumulator (an empty slice part is absent)
 * ...             each present accumulator, in aggregated-part order, in its kind's layout:
 *
 * kind                   layout of one accumulator
 * count                  varint  number of events
 * sum                    exact sum: varint m, then m non-overlapping partials as float64
 * min, max               float64 the extreme so far
 * avg                    exact sum (as for sum), then varint number of values
 * first, last            int64 event time, then UTF the value
 * count_distinct         varint m, then m distinct values as UTF, in no particular order
 * approx_count_distinct  varint length, then the HLL_8 sketch's compact bytes (DataSketches)
 * approx_percentile      varint length, then the KLL doubles sketch's bytes (DataSketches)
 * last_k                 varint m (at most k), then m times: int64 event time, UTF value,
 *                        newest first
 * last_event_time        varint  the greatest event time, epoch milliseconds
 * </pre>
 *
 * <p>Encodings: varint is unsigned LEB128 (7 bits a byte, low group first, high bit set on every
 * byte but the last); int64 and float64 are 8 bytes big-endian (float64 as IEEE 754 bits); UTF is
 * Java's modified UTF-8 as {@link java.io.DataOutput#writeUTF} writes it (2-byte big-endian length,
 * then the bytes).
 */
public final class SliceCodec implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final byte VERSION = 1;

  private final PartAggregator<Object, Object>[] aggregators;
  private transient ByteArrayOutputStream bytes;
  private transient DataOutputStream out;

  /** A codec of slices whose aggregated part {@code i} is {@code aggregators[i]}'s. */
  public SliceCodec(PartAggregator<Object, Object>[] aggregators) {
    this.aggregators = aggregators;
  }

  /** The slice bytes of one accumulator per aggregated part, null for an empty part. */
  public byte[] encode(Object[] accs) throws IOException {
    if (out == null) {
      bytes = new ByteArrayOutputStream(64);
      out = new DataOutputStream(bytes);
    }
    bytes.reset();
    out.writeByte(VERSION);
    int n = accs.length;
    byte[] bitmap = new byte[(n + 7) / 8];
    for (int i = 0; i < n; i++) {
      if (accs[i] != null) {
        bitmap[i >>> 3] |= (byte) (1 << (i & 7));
      }
    }
    out.write(bitmap);
    for (int i = 0; i < n; i++) {
      if (accs[i] != null) {
        aggregators[i].write(out, accs[i]);
      }
    }
    out.flush();
    return bytes.toByteArray();
  }

  /** The accumulators of {@link #encode}'s bytes, null for an absent part. */
  public Object[] decode(byte[] slice) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(slice));
    byte version = in.readByte();
    if (version != VERSION) {
      throw new IOException(
          "window state has slice format " + version + ", this job reads format " + VERSION);
    }
    int n = aggregators.length;
    byte[] bitmap = new byte[(n + 7) / 8];
    in.readFully(bitmap);
    Object[] accs = new Object[n];
    for (int i = 0; i < n; i++) {
      if ((bitmap[i >>> 3] & (1 << (i & 7))) != 0) {
        accs[i] = aggregators[i].read(in);
      }
    }
    return accs;
  }
}
