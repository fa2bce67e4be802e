package io.freshet.flink.sink;

import io.freshet.storage.FeatureRow;
import io.freshet.storage.Varints;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * The checkpointed form of a {@link RowCommittable}. It is the owner of this layout; values carry a
 * type tag, so reading needs no plan and a checkpoint stays readable whatever the views become.
 *
 * <pre>
 * version 1
 *   string   view                      (varint UTF-8 length, then the bytes)
 *   string   job id
 *   varint   subtask
 *   int64    checkpoint id             (big-endian)
 *   int64    writer id
 *   varint   row count n
 *   varint   values per row w          (the same for every row of a view)
 *   n times: string   entity key
 *            zig-zag varint feature_ts
 *            w times: tag byte, then the value
 *              0 null
 *              1 INT64        zig-zag varint
 *              2 FLOAT64      8 bytes, IEEE 754 big-endian
 *              3 STRING       string
 *              4 STRING_LIST  varint element count, then each element as a string
 * </pre>
 *
 * <p>Strings are UTF-8; a lone surrogate reads back as '?', as Postgres and the online codec would
 * store it anyway.
 */
public final class RowCommittableSerializer implements SimpleVersionedSerializer<RowCommittable> {
  /** The layout version this class writes. */
  public static final int VERSION = 1;

  private static final int NULL = 0;
  private static final int INT64 = 1;
  private static final int FLOAT64 = 2;
  private static final int STRING = 3;
  private static final int STRING_LIST = 4;

  @Override
  public int getVersion() {
    return VERSION;
  }

  @Override
  public byte[] serialize(RowCommittable c) throws IOException {
    List<FeatureRow> rows = c.rows();
    int width = rows.isEmpty() ? 0 : rows.get(0).values().length;
    DataOutputSerializer out = new DataOutputSerializer(64 + rows.size() * (24 + 10 * width));
    writeString(out, c.view());
    writeString(out, c.id().jobId());
    writeVarint(out, c.id().subtask());
    out.writeLong(c.id().checkpointId());
    out.writeLong(c.id().writerId());
    writeVarint(out, rows.size());
    writeVarint(out, width);
    for (FeatureRow row : rows) {
      Object[] values = row.values();
      if (values.length != width) {
        throw new IOException(
            "rows of "
                + c.view()
                + " have "
                + width
                + " and "
                + values.length
                + " values; a committable holds rows of one view version only");
      }
      writeString(out, row.entityKey());
      writeVarint(out, Varints.zigzag(row.featureTs()));
      for (Object v : values) {
        writeValue(out, v, c.view());
      }
    }
    return out.getCopyOfBuffer();
  }

  @Override
  public RowCommittable deserialize(int version, byte[] bytes) throws IOException {
    if (version != VERSION) {
      throw new IOException(
          "committable layout version "
              + version
              + " is unknown to this Freshet, which reads version "
              + VERSION
              + ": restore the checkpoint with the Freshet release that wrote it, or one newer");
    }
    DataInputDeserializer in = new DataInputDeserializer(bytes);
    try {
      String view = readString(in);
      String jobId = readString(in);
      int subtask = (int) readVarint(in);
      long checkpointId = in.readLong();
      long writerId = in.readLong();
      int count = checkedCount(readVarint(in), bytes.length);
      int width = checkedCount(readVarint(in), bytes.length);
      List<FeatureRow> rows = new ArrayList<>(count);
      for (int r = 0; r < count; r++) {
        String key = readString(in);
        long ts = Varints.unzigzag(readVarint(in));
        Object[] values = new Object[width];
        for (int i = 0; i < width; i++) {
          values[i] = readValue(in, bytes.length);
        }
        rows.add(new FeatureRow(key, ts, values));
      }
      if (in.available() != 0) {
        throw new IOException(in.available() + " bytes left over after the last row");
      }
      return new RowCommittable(view, new CommitId(jobId, subtask, checkpointId, writerId), rows);
    } catch (EOFException | IndexOutOfBoundsException e) {
      throw new IOException("committable of " + bytes.length + " bytes is truncated", e);
    }
  }

  private static void writeValue(DataOutputSerializer out, Object v, String view)
      throws IOException {
    if (v == null) {
      out.writeByte(NULL);
    } else if (v instanceof Long l) {
      out.writeByte(INT64);
      writeVarint(out, Varints.zigzag(l));
    } else if (v instanceof Double d) {
      out.writeByte(FLOAT64);
      out.writeDouble(d);
    } else if (v instanceof String s) {
      out.writeByte(STRING);
      writeString(out, s);
    } else if (v instanceof List<?> list) {
      out.writeByte(STRING_LIST);
      writeVarint(out, list.size());
      for (Object e : list) {
        writeString(out, String.valueOf(e));
      }
    } else {
      throw new IOException(
          "a row of "
              + view
              + " holds a "
              + v.getClass().getName()
              + "; rows hold Long, Double, String, List<String> or null");
    }
  }

  private static Object readValue(DataInputDeserializer in, int size) throws IOException {
    int tag = in.readUnsignedByte();
    return switch (tag) {
      case NULL -> null;
      case INT64 -> Varints.unzigzag(readVarint(in));
      case FLOAT64 -> in.readDouble();
      case STRING -> readString(in);
      case STRING_LIST -> {
        int n = checkedCount(readVarint(in), size);
        List<String> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          list.add(readString(in));
        }
        yield List.copyOf(list);
      }
      default -> throw new IOException("unknown value tag " + tag + " in committable");
    };
  }

  private static void writeString(DataOutputSerializer out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    writeVarint(out, b.length);
    out.write(b);
  }

  private static String readString(DataInputDeserializer in) throws IOException {
    int length = checkedCount(readVarint(in), in.available());
    byte[] b = new byte[length];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  /** A count read from the bytes, checked against what the bytes could possibly hold. */
  private static int checkedCount(long n, int bound) throws IOException {
    if (n < 0 || n > bound) {
      throw new IOException(
          "committable is corrupt: count " + n + " exceeds its " + bound + " bytes");
    }
    return (int) n;
  }

  private static void writeVarint(DataOutputSerializer out, long v) throws IOException {
    Varints.write(out, v);
  }

  private static long readVarint(DataInputDeserializer in) throws IOException {
    return Varints.read(in, "committable");
  }
}
