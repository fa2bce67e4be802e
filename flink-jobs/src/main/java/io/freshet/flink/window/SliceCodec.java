package io.freshet.flink.window;

import io.freshet.flink.window.agg.PartAggregator;
import java.io.IOException;
import java.io.Serializable;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * The compact state form of one slice: every aggregated part's accumulator in one byte array.
 *
 * <pre>
 * byte 0          format version, 1
 * ceil(n/8) bytes presence bitmap: bit i set when part i has an accumulator
 * ...             each present accumulator, in part order, as its {@link PartAggregator} writes it
 * </pre>
 */
final class SliceCodec implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final byte VERSION = 1;

  private final PartAggregator[] aggregators;
  private transient DataOutputSerializer out;
  private transient DataInputDeserializer in;

  SliceCodec(PartAggregator[] aggregators) {
    this.aggregators = aggregators;
  }

  byte[] encode(Object[] accs) throws IOException {
    if (out == null) {
      out = new DataOutputSerializer(64);
    }
    out.clear();
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
    return out.getCopyOfBuffer();
  }

  Object[] decode(byte[] bytes) throws IOException {
    if (in == null) {
      in = new DataInputDeserializer();
    }
    in.setBuffer(bytes);
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
