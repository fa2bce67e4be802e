package io.freshet.online;

import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one writer of the online table: rows of one view version, each the value of {@link
 * OnlineCodec} under the key of {@link OnlineKeys}, written with the {@link NewestWinsScript} so
 * that an older row never replaces a newer one, stamped with the instant from which the store
 * serves it ({@link #writeStamped}), and expiring at {@code feature_ts + ttl}. The streaming sink's
 * committer and the restore of a lost online table both write through it. The tiles of a
 * request-time view are written by {@link #writeTiles} with {@link TileScripts#WRITE}.
 *
 * <p>Rows are written in batches, one script call per batch, all calls of a {@link #write}
 * pipelined. On a Redis Cluster ({@code redis-cluster://}, see {@link OnlineStoreUri}) one script
 * call may only hold keys of one slot, so {@link #batches} groups the rows by the slot of their key
 * ({@link SlotHash#getSlot}; online keys are hash-tagged by entity, so the entities spread over the
 * cluster) and Lettuce routes each call to the master of its slot, following redirections while
 * slots move. The script is loaded on every master.
 *
 * <p>The connection is made on first use; after a failure, {@link #disconnect} drops it and the
 * next call makes a new one. Failures are Lettuce's exceptions, classified by {@link
 * OnlineStoreErrors}. Not thread-safe: one writer per thread.
 */
public final class OnlineWriter implements AutoCloseable {
  private final ViewPlan plan;
  private final OnlineCodec codec;
  private final long ttlMillis;
  private final boolean cluster;
  private final OnlineStoreUri uri;
  private final OnlineClients.Settings settings;
  private AbstractRedisClient client;
  private StatefulConnection<byte[], byte[]> connection;
  private RedisClusterCommands<byte[], byte[]> sync;
  private RedisClusterAsyncCommands<byte[], byte[]> async;
  private String scriptSha;
  private String tileScriptSha;

  private OnlineWriter(ViewPlan plan, OnlineStoreUri uri, OnlineClients.Settings settings) {
    this.plan = plan;
    this.codec = new OnlineCodec(plan);
    this.ttlMillis = plan.ttl().toMillis();
    this.uri = uri;
    this.cluster = uri.cluster();
    this.settings = settings;
  }

  /**
   * A writer of {@code plan}'s rows to the store at {@code redisUri}; connects on first use.
   *
   * @throws IllegalArgumentException on a malformed cluster URI
   */
  public static OnlineWriter create(
      ViewPlan plan, String redisUri, OnlineClients.Settings settings) {
    return new OnlineWriter(plan, OnlineStoreUri.parse(redisUri), settings);
  }

  /** Whether the commit marker {@code marker} ({@link OnlineKeys#commitMarker}) is set. */
  public boolean hasMarker(byte[] marker) {
    connect();
    return sync.exists(marker) > 0;
  }

  /**
   * Sets the commit marker {@code marker} to the number of rows it stands for, expiring after ttl.
   */
  public void setMarker(byte[] marker, int rows, Duration ttl) {
    connect();
    sync.set(
        marker,
        Integer.toString(rows).getBytes(StandardCharsets.US_ASCII),
        SetArgs.Builder.px(ttl.toMillis()));
  }

  /**
   * The rows to write, as the rows of one script call each: rows whose {@code feature_ts + ttl} is
   * not after {@code now} are left out, since they would expire at once; the rest are in order on
   * one server and, on a cluster, grouped by the slot of their key, so that no call holds keys of
   * two slots.
   */
  public List<List<FeatureRow>> batches(List<FeatureRow> rows, long now, int rowsPerScript) {
    List<FeatureRow> live = new ArrayList<>(rows.size());
    for (FeatureRow row : rows) {
      if (row.featureTs() + ttlMillis > now) {
        live.add(row);
      }
    }
    if (!cluster) {
      return chunks(live, rowsPerScript);
    }
    Map<Integer, List<FeatureRow>> bySlot = new LinkedHashMap<>();
    for (FeatureRow row : live) {
      int slot = SlotHash.getSlot(OnlineKeys.keyBytes(plan, row.entityKey()));
      bySlot.computeIfAbsent(slot, s -> new ArrayList<>()).add(row);
    }
    List<List<FeatureRow>> batches = new ArrayList<>();
    for (List<FeatureRow> slotRows : bySlot.values()) {
      batches.addAll(chunks(slotRows, rowsPerScript));
    }
    return batches;
  }

  private static List<List<FeatureRow>> chunks(List<FeatureRow> rows, int rowsPerScript) {
    List<List<FeatureRow>> batches = new ArrayList<>();
    List<FeatureRow> batch = new ArrayList<>(rowsPerScript);
    for (FeatureRow row : rows) {
      batch.add(row);
      if (batch.size() == rowsPerScript) {
        batches.add(batch);
        batch = new ArrayList<>(rowsPerScript);
      }
    }
    if (!batch.isEmpty()) {
      batches.add(batch);
    }
    return batches;
  }

  /**
   * Sends every batch as one script call, pipelined, then waits for all replies, at most the
   * command timeout. On one server the calls are flushed together; on a cluster each is sent as it
   * is routed (Lettuce may still be connecting to a node, which a held-back flush would not reach).
   *
   * @return how many rows the store serves from this call or from an earlier one (a replay); a row
   *     older than the stored one, or expiring at once, is not counted
   */
  public long write(List<List<FeatureRow>> batches) throws Exception {
    long served = 0;
    for (long[] stamps : writeStamped(batches)) {
      for (long stamp : stamps) {
        if (stamp >= 0) {
          served++;
        }
      }
    }
    return served;
  }

  /**
   * {@link #write}, answering per row the instant from which the store serves it (see {@link
   * NewestWinsScript}).
   *
   * @return per batch, per row in order: the instant in epoch microseconds of the online store's
   *     clock from which the row can be read: when this call stored it, or when an earlier call
   *     stored the same row (a replay); -1 when it is never served (a newer row is stored, or it
   *     would expire at once)
   */
  public List<long[]> writeStamped(List<List<FeatureRow>> batches) throws Exception {
    if (batches.isEmpty()) {
      return List.of();
    }
    connect();
    StatefulConnection<byte[], byte[]> c = connection;
    List<RedisFuture<List<Object>>> replies = new ArrayList<>(batches.size());
    c.setAutoFlushCommands(cluster);
    try {
      for (List<FeatureRow> batch : batches) {
        byte[][] keys = new byte[batch.size()][];
        byte[][] args = new byte[2 * batch.size()][];
        for (int i = 0; i < batch.size(); i++) {
          FeatureRow row = batch.get(i);
          keys[i] = OnlineKeys.keyBytes(plan, row.entityKey());
          args[2 * i] = codec.encode(row);
          args[2 * i + 1] = ascii(row.featureTs() + ttlMillis);
        }
        replies.add(async.evalsha(scriptSha, ScriptOutputType.MULTI, keys, args));
      }
      c.flushCommands();
    } finally {
      c.setAutoFlushCommands(true);
    }
    Duration timeout = settings.commandTimeout();
    long deadline = System.nanoTime() + timeout.toNanos();
    List<long[]> stamps = new ArrayList<>(replies.size());
    for (int r = 0; r < replies.size(); r++) {
      List<Object> reply;
      try {
        reply = replies.get(r).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      } catch (TimeoutException e) {
        throw new RedisCommandTimeoutException(
            "no reply to " + replies.size() + " script calls within " + timeout);
      }
      long[] batchStamps = new long[batches.get(r).size()];
      for (int i = 0; i < batchStamps.length; i++) {
        batchStamps[i] = (Long) reply.get(i);
      }
      stamps.add(batchStamps);
    }
    return stamps;
  }

  /**
   * Writes tile versions of a request-time view with the tile script, one call per batch of
   * entities (on a cluster, per slot), all calls pipelined; see {@link TileScripts}.
   *
   * @param tiles at most one version per (entity, tile start)
   * @param tilesPerScript how many tiles one script call carries at most
   * @return per tile, in input order, the instant in epoch microseconds of the online store's clock
   *     from which the stored version can be read: when this call stored it, or when an earlier
   *     call stored the same version (a replay); -1 when this version is never served: a newer
   *     version was already stored, or no read from now on can select it (it is older than the
   *     longest window, or the entity has expired)
   */
  public long[] writeTiles(List<Tile> tiles, int tilesPerScript) throws Exception {
    if (!plan.requestTime()) {
      throw new IllegalStateException(
          "view '"
              + plan.name()
              + "' is served at window ends and has no tiles; write its rows with write()");
    }
    if (tilesPerScript < 1) {
      throw new IllegalArgumentException("tilesPerScript must be at least 1: " + tilesPerScript);
    }
    long[] stamps = new long[tiles.size()];
    if (tiles.isEmpty()) {
      return stamps;
    }
    List<List<int[]>> calls = tileCalls(tiles, tilesPerScript);
    connect();
    if (tileScriptSha == null) {
      tileScriptSha = sync.scriptLoad(TileScripts.WRITE_BYTES);
    }
    byte[] tile = ascii(plan.tileMillis());
    byte[] maxWindow = ascii(plan.maxWindowMillis());
    byte[] ttl = ascii(ttlMillis);
    StatefulConnection<byte[], byte[]> c = connection;
    List<RedisFuture<List<Object>>> replies = new ArrayList<>(calls.size());
    c.setAutoFlushCommands(cluster);
    try {
      for (List<int[]> call : calls) {
        // one int[] per key: the indexes into tiles of its tiles in this call
        byte[][] keys = new byte[call.size()][];
        List<byte[]> args = new ArrayList<>();
        args.add(tile);
        args.add(maxWindow);
        args.add(ttl);
        for (int k = 0; k < call.size(); k++) {
          int[] indexes = call.get(k);
          keys[k] = OnlineKeys.keyBytes(plan, tiles.get(indexes[0]).entityKey());
          args.add(ascii(indexes.length));
          for (int i : indexes) {
            Tile t = tiles.get(i);
            args.add(ascii(t.start()));
            args.add(ascii(t.version()));
            args.add(t.payload());
          }
        }
        replies.add(
            async.evalsha(
                tileScriptSha, ScriptOutputType.MULTI, keys, args.toArray(byte[][]::new)));
      }
      c.flushCommands();
    } finally {
      c.setAutoFlushCommands(true);
    }
    Duration timeout = settings.commandTimeout();
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int r = 0; r < replies.size(); r++) {
      List<Object> reply;
      try {
        reply = replies.get(r).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      } catch (TimeoutException e) {
        throw new RedisCommandTimeoutException(
            "no reply to " + replies.size() + " tile script calls within " + timeout);
      }
      int j = 0;
      for (int[] indexes : calls.get(r)) {
        for (int i : indexes) {
          stamps[i] = (Long) reply.get(j++);
        }
      }
    }
    return stamps;
  }

  /**
   * The script calls of {@link #writeTiles}: per call, per key, the indexes of its tiles. Tiles are
   * grouped by entity in order of first appearance; a call holds at most {@code tilesPerScript}
   * tiles (an entity with more is split over calls) and, on a cluster, keys of one slot only.
   */
  private List<List<int[]>> tileCalls(List<Tile> tiles, int tilesPerScript) {
    Map<String, List<Integer>> byEntity = new LinkedHashMap<>();
    for (int i = 0; i < tiles.size(); i++) {
      byEntity.computeIfAbsent(tiles.get(i).entityKey(), e -> new ArrayList<>()).add(i);
    }
    Map<Integer, List<int[]>> groups = new LinkedHashMap<>();
    for (Map.Entry<String, List<Integer>> e : byEntity.entrySet()) {
      int group = cluster ? SlotHash.getSlot(OnlineKeys.keyBytes(plan, e.getKey())) : 0;
      List<int[]> pieces = groups.computeIfAbsent(group, g -> new ArrayList<>());
      List<Integer> indexes = e.getValue();
      for (int from = 0; from < indexes.size(); from += tilesPerScript) {
        pieces.add(
            indexes.subList(from, Math.min(indexes.size(), from + tilesPerScript)).stream()
                .mapToInt(Integer::intValue)
                .toArray());
      }
    }
    List<List<int[]>> calls = new ArrayList<>();
    for (List<int[]> pieces : groups.values()) {
      List<int[]> call = new ArrayList<>();
      int size = 0;
      for (int[] piece : pieces) {
        if (size + piece.length > tilesPerScript && !call.isEmpty()) {
          calls.add(call);
          call = new ArrayList<>();
          size = 0;
        }
        call.add(piece);
        size += piece.length;
      }
      if (!call.isEmpty()) {
        calls.add(call);
      }
    }
    return calls;
  }

  private static byte[] ascii(long n) {
    return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * {@link #writeTiles} for a caller without a retry loop of its own (a restore): every failure is
   * a Lettuce {@link RedisException}.
   */
  public long[] writeAllTiles(List<Tile> tiles, int tilesPerScript) {
    try {
      return writeTiles(tiles, tilesPerScript);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new RedisException(e);
    }
  }

  /**
   * {@link #batches} and {@link #write} in one, for a caller without a retry loop of its own (a
   * restore): every failure is a Lettuce {@link RedisException}, a failure of the socket wrapped in
   * one.
   *
   * @return how many keys the script wrote
   */
  public long writeAll(List<FeatureRow> rows, long now, int rowsPerScript) {
    try {
      return write(batches(rows, now, rowsPerScript));
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new RedisException(e);
    }
  }

  /** Makes the connection and loads the script, unless there is a connection. */
  public void connect() {
    if (client == null) {
      client = OnlineClients.create(uri, settings, null);
    }
    if (connection == null) {
      StatefulConnection<byte[], byte[]> c = OnlineClients.connect(client, ByteArrayCodec.INSTANCE);
      try {
        // On a cluster, Lettuce sends SCRIPT LOAD to every master.
        scriptSha = OnlineClients.sync(c).scriptLoad(NewestWinsScript.BYTES);
      } catch (RuntimeException e) {
        c.close();
        throw e;
      }
      connection = c;
      sync = OnlineClients.sync(c);
      async = OnlineClients.async(c);
    }
  }

  /** Drops the connection, broken or not; the next call makes a new one. */
  public void disconnect() {
    if (connection != null) {
      try {
        connection.close();
      } catch (RuntimeException ignored) {
        // already broken
      }
      connection = null;
      sync = null;
      async = null;
      tileScriptSha = null;
    }
  }

  /**
   * Closes the connection and shuts the client down, waiting for it at most 5 seconds; also on an
   * interrupted thread (Flink closes a cancelled task's committer on one), whose interrupt it
   * keeps.
   */
  @Override
  public void close() {
    disconnect();
    if (client == null) {
      return;
    }
    boolean interrupted = Thread.interrupted();
    try {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    } finally {
      client = null;
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
