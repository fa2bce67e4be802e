package io.freshet.flink.sink.tiles;

import io.freshet.flink.sink.CommitId;
import io.freshet.storage.Tile;
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
 * The checkpointed form of a {@link TileCommittable}; it is the owner of this layout. Payloads are
 * kept as opaque bytes, so reading needs no plan.
 *
 * <pre>
 * version 1
 *   string   view                      (varint UTF-8 length, then the bytes)
 *   string   job id
 *   varint   subtask
 *   int64    checkpoint id             (big-endian)
 *   int64    writer id
 *   varint   tile count n
 *   n times: string  entity key
 *            zig-zag varint tile start (epoch ms)
 *            varint  version
 *            varint  payload length, then the payload bytes
 * </pre>
 */
public final class TileCommittableSerializer implements SimpleVersionedSerializer<TileCommittable> {
  /** The layout version this class writes. */
  public static final int VERSION = 1;

  @Override
  public int getVersion() {
    return VERSION;
  }

  @Override
  public byte[] serialize(TileCommittable c) throws IOException {
    List<Tile> tiles = c.tiles();
    int size = 64;
    for (Tile t : tiles) {
      size += 24 + t.entityKey().length() + t.payload().length;
    }
    DataOutputSerializer out = new DataOutputSerializer(size);
    writeString(out, c.view());
    writeString(out, c.id().jobId());
    Varints.write(out, c.id().subtask());
    out.writeLong(c.id().checkpointId());
    out.writeLong(c.id().writerId());
    Varints.write(out, tiles.size());
    for (Tile t : tiles) {
      writeString(out, t.entityKey());
      Varints.write(out, Varints.zigzag(t.start()));
      Varints.write(out, t.version());
      Varints.write(out, t.payload().length);
      out.write(t.payload());
    }
    return out.getCopyOfBuffer();
  }

  @Override
  public TileCommittable deserialize(int version, byte[] bytes) throws IOException {
    if (version != VERSION) {
      throw new IOException(
          "tile committable layout version "
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
      List<Tile> tiles = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        String key = readString(in);
        long start = Varints.unzigzag(readVarint(in));
        long v = readVarint(in);
        byte[] payload = new byte[checkedCount(readVarint(in), in.available())];
        in.readFully(payload);
        tiles.add(new Tile(key, start, v, payload));
      }
      if (in.available() != 0) {
        throw new IOException(in.available() + " bytes left over after the last tile");
      }
      return new TileCommittable(view, new CommitId(jobId, subtask, checkpointId, writerId), tiles);
    } catch (EOFException | IndexOutOfBoundsException e) {
      throw new IOException("tile committable of " + bytes.length + " bytes is truncated", e);
    } catch (IllegalArgumentException e) {
      throw new IOException("tile committable is corrupt: " + e.getMessage(), e);
    }
  }

  private static void writeString(DataOutputSerializer out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    Varints.write(out, b.length);
    out.write(b);
  }

  private static String readString(DataInputDeserializer in) throws IOException {
    byte[] b = new byte[checkedCount(readVarint(in), in.available())];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static int checkedCount(long n, int bound) throws IOException {
    if (n < 0 || n > bound) {
      throw new IOException(
          "tile committable is corrupt: count " + n + " exceeds its " + bound + " bytes");
    }
    return (int) n;
  }

  private static long readVarint(DataInputDeserializer in) throws IOException {
    return Varints.read(in, "tile committable");
  }
}
