package io.freshet.flink.sink.online;

import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.CommitFaults.Point;
import io.freshet.flink.sink.CommitFaults.Store;
import io.freshet.flink.sink.CommitId;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.flink.sink.RowCommitter;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.NewestWinsScript;
import io.freshet.storage.OnlineCodec;
import io.freshet.storage.OnlineKeys;
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
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * marker only spares a replay the work. The same holds on Redis Cluster, where one script call may
 * only hold keys of one slot: there each call would take the keys of one slot (online keys are
 * hash-tagged by entity) and the marker lives in the slot of its own tag. This committer connects
 * to one Redis server ({@code redis://}, {@code rediss://}).
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
  private RedisClient client;
  private StatefulRedisConnection<byte[], byte[]> connection;
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
    StatefulRedisConnection<byte[], byte[]> c = connection();
    byte[] marker = markerKey(committable.view(), committable.id());
    if (c.sync().exists(marker) > 0) {
      return Outcome.ALREADY_COMMITTED;
    }
    List<List<FeatureRow>> batches = batches(committable.rows(), System.currentTimeMillis());
    int half = (batches.size() + 1) / 2;
    write(c, batches.subList(0, half));
    reached(Point.MID_APPLY, committable);
    write(c, batches.subList(half, batches.size()));
    c.sync()
        .set(
            marker,
            Integer.toString(committable.rows().size()).getBytes(StandardCharsets.US_ASCII),
            SetArgs.Builder.px(markerTtl.toMillis()));
    return Outcome.APPLIED;
  }

  private List<List<FeatureRow>> batches(List<FeatureRow> rows, long now) {
    List<List<FeatureRow>> batches = new ArrayList<>();
    List<FeatureRow> batch = new ArrayList<>(rowsPerScript);
    for (FeatureRow row : rows) {
      if (row.featureTs() + ttlMillis <= now) {
        continue;
      }
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

  /** Sends every batch as one script call, pipelined, then waits for all replies. */
  private void write(StatefulRedisConnection<byte[], byte[]> c, List<List<FeatureRow>> batches)
      throws Exception {
    if (batches.isEmpty()) {
      return;
    }
    RedisAsyncCommands<byte[], byte[]> async = c.async();
    List<RedisFuture<Long>> replies = new ArrayList<>(batches.size());
    c.setAutoFlushCommands(false);
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

  private StatefulRedisConnection<byte[], byte[]> connection() {
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
    }
    return connection;
  }

  @Override
  protected boolean isTransient(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RedisCommandExecutionException x) {
        return TRANSIENT_ERRORS.contains(errorCode(x.getMessage()));
      }
      if (t instanceof RedisConnectionException || t instanceof RedisCommandTimeoutException) {
        return true;
      }
    }
    // Any other client-side Redis error is about the connection ("Connection closed", ...).
    return e instanceof RedisException;
  }

  @Override
  protected String explain(Exception e) {
    String m = String.valueOf(e.getMessage());
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
    }
  }

  @Override
  public void close() {
    discardConnection();
    if (client != null) {
      // Flink closes a cancelled task's committer on an interrupted thread; shut down anyway.
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

  /** A Redis URI without its password, for messages. */
  static String safe(String uri) {
    return uri.replaceAll("(?i)(redis(s)?://)([^@/]*)@", "$1***@");
  }
}
