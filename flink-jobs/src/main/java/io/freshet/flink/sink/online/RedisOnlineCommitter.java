package io.freshet.flink.sink.online;

import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.CommitFaults.Point;
import io.freshet.flink.sink.CommitFaults.Store;
import io.freshet.flink.sink.CommitId;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.flink.sink.RowCommitter;
import io.freshet.online.NewestWinsScript;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.online.OnlineStoreUri;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.io.EOFException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Commits checkpoints of rows to the Redis online table:
 *
 * <ol>
 *   <li>{@code EXISTS} the committable's marker, {@code
 *       freshet:commit:{view@tag:subtask}:job:checkpoint:writer}; if it is there, the rows are in.
 *   <li>Write the rows with the {@link NewestWinsScript}, a batch of keys per call, all calls
 *       pipelined.
 *   <li>{@code SET} the marker, expiring after the marker TTL.
 * </ol>
 *
 * <p>Rows and marker are not one atomic step, and need not be. Every row write is atomic per key
 * and only moves a key forward (greater feature_ts wins; an equal one is the same window, and a
 * replay carries the same values). Flink commits a subtask's committables in checkpoint order and
 * replays the restored ones before committing anything newer, so replaying rows that are already in
 * leaves every key as it was. A commit cut off between two calls is completed by its replay; the
 * marker only spares a replay the work.
 *
 * <p>The same holds on a Redis Cluster ({@code redis-cluster://}, see {@link OnlineStoreUri}),
 * where one script call may only hold keys of one slot. There the rows are grouped by the slot of
 * their key ({@link SlotHash#getSlot}; online keys are hash-tagged by entity, so the entities
 * spread over the cluster) and each call takes rows of one slot; the calls go out together and
 * Lettuce routes each to the master of its slot, following redirections while slots move. The
 * marker lives in the slot of its own tag, usually on another node than the rows: that is no loss,
 * since the marker only saves work. The script is loaded on every master.
 *
 * <p>Rows whose {@code feature_ts + ttl} has passed are not written: they would expire at once.
 */
final class RedisOnlineCommitter extends RowCommitter {
  /** The {@code CLIENT SETNAME} of the committers' connections. */
  static final String CLIENT_NAME = "freshet-online-sink";

  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

  /** Error replies that go away by waiting: loading after a restart, failover, memory pressure. */
  private static final Set<String> TRANSIENT_ERRORS =
      Set.of(
          "LOADING",
          "BUSY",
          "TRYAGAIN",
          "CLUSTERDOWN",
          "MASTERDOWN",
          "READONLY",
          "NOSCRIPT",
          "OOM");

  private static final List<String> WRAPPED_CODES =
      List.of("WRONGTYPE", "OOM", "READONLY", "NOPERM", "LOADING", "MASTERDOWN");

  private final ViewPlan plan;
  private final OnlineCodec codec;
  private final long ttlMillis;
  private final String redisUri;
  private final int rowsPerScript;
  private final Duration markerTtl;
  private final boolean cluster;
  private RedisClient client;
  private RedisClusterClient clusterClient;
  private StatefulConnection<byte[], byte[]> connection;
  private RedisClusterCommands<byte[], byte[]> sync;
  private RedisClusterAsyncCommands<byte[], byte[]> async;
  private String scriptSha;

  RedisOnlineCommitter(
      ViewPlan plan, String redisUri, int rowsPerScript, Backoff backoff, Duration markerTtl) {
    super(Store.ONLINE, "Redis " + safe(redisUri), RowCommittable.viewOf(plan), backoff);
    this.plan = plan;
    this.codec = new OnlineCodec(plan);
    this.ttlMillis = plan.view().ttl().toMillis();
    this.redisUri = redisUri;
    this.rowsPerScript = rowsPerScript;
    this.markerTtl = markerTtl;
    this.cluster = OnlineStoreUri.isCluster(redisUri);
  }

  /** The marker key of a committable; the hash tag keeps a subtask's markers in one slot. */
  static byte[] markerKey(String view, CommitId id) {
    return ("freshet:commit:{"
            + view
            + ":"
            + id.subtask()
            + "}:"
            + id.jobId()
            + ":"
            + id.checkpointId()
            + ":"
            + Long.toHexString(id.writerId()))
        .getBytes(StandardCharsets.UTF_8);
  }

  @Override
  protected Outcome apply(RowCommittable committable) throws Exception {
    connection();
    byte[] marker = markerKey(committable.view(), committable.id());
    if (sync.exists(marker) > 0) {
      return Outcome.ALREADY_COMMITTED;
    }
    List<List<FeatureRow>> batches = batches(committable.rows(), System.currentTimeMillis());
    int half = (batches.size() + 1) / 2;
    write(batches.subList(0, half));
    reached(Point.MID_APPLY, committable);
    write(batches.subList(half, batches.size()));
    sync.set(
        marker,
        Integer.toString(committable.rows().size()).getBytes(StandardCharsets.US_ASCII),
        SetArgs.Builder.px(markerTtl.toMillis()));
    return Outcome.APPLIED;
  }

  /**
   * The rows to write, as the rows of one script call each: in order on one server; on a cluster,
   * grouped by the slot of their key, so that no call holds keys of two slots.
   */
  private List<List<FeatureRow>> batches(List<FeatureRow> rows, long now) {
    List<FeatureRow> live = new ArrayList<>(rows.size());
    for (FeatureRow row : rows) {
      if (row.featureTs() + ttlMillis > now) {
        live.add(row);
      }
    }
    if (!cluster) {
      return chunks(live);
    }
    Map<Integer, List<FeatureRow>> bySlot = new LinkedHashMap<>();
    for (FeatureRow row : live) {
      int slot = SlotHash.getSlot(OnlineKeys.keyBytes(plan, row.entityKey()));
      bySlot.computeIfAbsent(slot, s -> new ArrayList<>()).add(row);
    }
    List<List<FeatureRow>> batches = new ArrayList<>();
    for (List<FeatureRow> slotRows : bySlot.values()) {
      batches.addAll(chunks(slotRows));
    }
    return batches;
  }

  private List<List<FeatureRow>> chunks(List<FeatureRow> rows) {
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
   * Sends every batch as one script call, pipelined, then waits for all replies. On one server the
   * calls are flushed together; on a cluster each is sent as it is routed (Lettuce may still be
   * connecting to a node, which a held-back flush would not reach).
   */
  private void write(List<List<FeatureRow>> batches) throws Exception {
    if (batches.isEmpty()) {
      return;
    }
    StatefulConnection<byte[], byte[]> c = connection;
    List<RedisFuture<Long>> replies = new ArrayList<>(batches.size());
    c.setAutoFlushCommands(cluster);
    try {
      for (List<FeatureRow> batch : batches) {
        byte[][] keys = new byte[batch.size()][];
        byte[][] args = new byte[2 * batch.size()][];
        for (int i = 0; i < batch.size(); i++) {
          FeatureRow row = batch.get(i);
          keys[i] = OnlineKeys.keyBytes(plan, row.entityKey());
          args[2 * i] = codec.encode(row);
          args[2 * i + 1] =
              Long.toString(row.featureTs() + ttlMillis).getBytes(StandardCharsets.US_ASCII);
        }
        replies.add(async.evalsha(scriptSha, ScriptOutputType.INTEGER, keys, args));
      }
      c.flushCommands();
    } finally {
      c.setAutoFlushCommands(true);
    }
    long deadline = System.nanoTime() + COMMAND_TIMEOUT.toNanos();
    for (RedisFuture<Long> reply : replies) {
      try {
        reply.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      } catch (TimeoutException e) {
        throw new RedisCommandTimeoutException(
            "no reply to " + replies.size() + " script calls within " + COMMAND_TIMEOUT);
      }
    }
  }

  private void connection() {
    if (cluster) {
      clusterConnection();
      return;
    }
    if (client == null) {
      RedisURI uri = RedisURI.create(redisUri);
      uri.setTimeout(COMMAND_TIMEOUT);
      uri.setClientName(CLIENT_NAME);
      client = RedisClient.create(uri);
      client.setOptions(
          ClientOptions.builder()
              // A broken connection is replaced by the retry loop, at its pace.
              .autoReconnect(false)
              .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
              .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
              .socketOptions(
                  SocketOptions.builder()
                      .connectTimeout(Duration.ofSeconds(5))
                      .keepAlive(true)
                      .build())
              .build());
    }
    if (connection == null) {
      StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
      try {
        scriptSha = c.sync().scriptLoad(NewestWinsScript.BYTES);
      } catch (RuntimeException e) {
        c.close();
        throw e;
      }
      connection = c;
      sync = c.sync();
      async = c.async();
    }
  }

  private void clusterConnection() {
    if (clusterClient == null) {
      List<RedisURI> seeds = new ArrayList<>();
      for (String node : OnlineStoreUri.parse(redisUri).nodes()) {
        RedisURI uri = RedisURI.create(node);
        uri.setTimeout(COMMAND_TIMEOUT);
        uri.setClientName(CLIENT_NAME);
        seeds.add(uri);
      }
      clusterClient = RedisClusterClient.create(seeds);
      clusterClient.setOptions(
          ClusterClientOptions.builder()
              // Node connections reconnect by themselves; a broken cluster connection is replaced
              // by the retry loop. Moved slots are learnt from redirections.
              .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
              .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
              .socketOptions(
                  SocketOptions.builder()
                      .connectTimeout(Duration.ofSeconds(5))
                      .keepAlive(true)
                      .build())
              .topologyRefreshOptions(
                  ClusterTopologyRefreshOptions.builder()
                      .enableAllAdaptiveRefreshTriggers()
                      .build())
              .build());
    }
    if (connection == null) {
      StatefulRedisClusterConnection<byte[], byte[]> c =
          clusterClient.connect(ByteArrayCodec.INSTANCE);
      try {
        // Lettuce sends SCRIPT LOAD to every master.
        scriptSha = c.sync().scriptLoad(NewestWinsScript.BYTES);
      } catch (RuntimeException e) {
        c.close();
        throw e;
      }
      connection = c;
      sync = c.sync();
      async = c.async();
    }
  }

  /**
   * Error replies in {@link #TRANSIENT_ERRORS}, failures to connect, timeouts, and errors of the
   * socket. When a connection drops, Lettuce fails the commands in flight with what the socket
   * reported, which is no {@link RedisException}: a {@link SocketException} ("Connection reset")
   * while replies are pending, or a {@link ClosedChannelException} when a pipelined flush reaches a
   * channel that closed after the commands were queued.
   */
  @Override
  protected boolean isTransient(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RedisCommandExecutionException x) {
        return TRANSIENT_ERRORS.contains(errorCode(x.getMessage()));
      }
      if (t instanceof RedisConnectionException
          || t instanceof RedisCommandTimeoutException
          || t instanceof SocketException
          || t instanceof SocketTimeoutException
          || t instanceof EOFException
          || t instanceof ClosedChannelException) {
        return true;
      }
    }
    // Any other client-side Redis error is about the connection ("Connection closed", ...).
    return e instanceof RedisException;
  }

  @Override
  protected String explain(Exception e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    String hint =
        switch (errorCode(m)) {
          case "WRONGTYPE" ->
              "; a key of the online table holds another type: something else writes these keys";
          case "NOAUTH", "WRONGPASS", "NOPERM" ->
              "; check the user and password of the Redis URI and the user's ACL";
          case "ERR" ->
              m.contains("syntax") || m.contains("unknown command")
                  ? "; the online sink needs Redis 6.2 or newer (SET ... PXAT, EVALSHA)"
                  : "";
          default -> "";
        };
    return m + hint;
  }

  /**
   * The error code of a Redis error reply: its first word, or for an error raised inside a script
   * (Redis before 7 wraps those in {@code ERR Error running script ...}) the code it wraps.
   */
  static String errorCode(String message) {
    String m = String.valueOf(message);
    if (m.startsWith("ERR Error running script")) {
      for (String code : WRAPPED_CODES) {
        if (m.contains(code + " ")) {
          return code;
        }
      }
    }
    int space = m.indexOf(' ');
    return space < 0 ? m : m.substring(0, space);
  }

  @Override
  protected void discardConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (RuntimeException ignored) {
        // already broken
      }
      connection = null;
      sync = null;
      async = null;
    }
  }

  @Override
  public void close() {
    discardConnection();
    if (client == null && clusterClient == null) {
      return;
    }
    // Flink closes a cancelled task's committer on an interrupted thread; shut down anyway.
    boolean interrupted = Thread.interrupted();
    try {
      if (client != null) {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
      }
      if (clusterClient != null) {
        clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(5));
      }
    } finally {
      client = null;
      clusterClient = null;
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A Redis URI without its password, for messages. */
  static String safe(String uri) {
    return uri.replaceAll("(?i)(redis(s)?(-cluster)?://)([^@/]*)@", "$1***@");
  }
}
