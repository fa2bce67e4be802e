package io.freshet.online;

import io.freshet.plan.ViewPlan;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisLoadingException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one reader of the Redis online table: the gateway's one connection (shared by all event
 * loops), and what {@code freshet verify} reads with. Made so that no request waits on Redis longer
 * than {@link #COMMAND_TIMEOUT}, and none waits at all while Redis is known to be away.
 *
 * <ul>
 *   <li>Each command times out after {@link #COMMAND_TIMEOUT}.
 *   <li>When the connection drops, the commands in flight fail at once: Lettuce's own reconnect is
 *       off, since it would replay them on the next connection and make them wait out the timeout.
 *   <li>While there is no connection, commands fail at once; requests never wait for a connection
 *       attempt.
 *   <li>The store reconnects by itself, in the background: right after a connection is lost, then
 *       every {@link #CONNECT_RETRY_INTERVAL} until an attempt succeeds, with or without traffic.
 * </ul>
 *
 * <p>Every failure to answer in time surfaces as {@link OnlineStoreUnavailableException}.
 * Thread-safe.
 *
 * <p>Rows of window-end views are read with {@link #rows}, one run of {@link RowReadScript} per
 * hash slot, which also returns the store's clock: the request instant the rows hold at (GET and
 * MGET remain for tools); tiles of request-time views with {@link #tiles}, one run of {@link
 * TileScripts#READ} per entity, which also returns the store's clock: the request instant of the
 * entity's value.
 *
 * <p>The URI names one server or a Redis Cluster ({@code redis-cluster://host1:port,host2:port},
 * see {@link OnlineStoreUri}). On a cluster the store holds one cluster connection, made from the
 * first seed node that answers; an MGET over entities of several slots is split by Lettuce into one
 * MGET per slot, sent to the slots' masters at once, and reassembled in key order. The guarantees
 * above hold for the cluster connection; a connection to one node of a live cluster is
 * re-established by Lettuce, and while it is down the commands for that node fail at once (the
 * timeout bounds those in flight).
 */
public final class OnlineReader implements AutoCloseable {
  /** The longest a Redis command may take before the request fails with 503. */
  public static final Duration COMMAND_TIMEOUT = Duration.ofMillis(250);

  /**
   * The longest a TCP connect to Redis may take: short, so that an attempt lost in a network
   * partition does not hold up the next one for long once Redis is back.
   */
  public static final Duration CONNECT_TIMEOUT = Duration.ofMillis(500);

  /** The time between two connection attempts while Redis is unreachable. */
  public static final Duration CONNECT_RETRY_INTERVAL = Duration.ofMillis(100);

  /**
   * A command may take {@link #COMMAND_TIMEOUT}, a connect {@link #CONNECT_TIMEOUT}; the store
   * reconnects by itself, not Lettuce.
   */
  private static final OnlineClients.Settings GATEWAY =
      new OnlineClients.Settings(COMMAND_TIMEOUT, CONNECT_TIMEOUT, null, false);

  private static final Logger LOG = LoggerFactory.getLogger(OnlineReader.class);
  private static final RedisCodec<String, byte[]> CODEC =
      RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

  /** The one server, or the cluster's first seed node. */
  private final RedisURI uri;

  private final boolean cluster;
  private final String address;
  private final ClientResources resources;
  private final AbstractRedisClient client;
  private final Object lock = new Object();
  private final AtomicInteger failedAttempts = new AtomicInteger();

  /** The live connection, or null while there is none. */
  private volatile StatefulConnection<String, byte[]> connection;

  /** Why there is no connection, for 503 messages. */
  private volatile String notConnected = "not connected yet";

  private boolean attempting; // guarded by lock
  private boolean retryScheduled; // guarded by lock
  private volatile boolean closed; // written under lock

  private OnlineReader(String redisUri, OnlineClients.Settings settings) {
    OnlineStoreUri parsed = OnlineStoreUri.parse(redisUri);
    List<RedisURI> nodes = OnlineClients.redisUris(parsed, settings);
    this.uri = nodes.get(0);
    this.cluster = parsed.cluster();
    this.address =
        cluster
            ? "cluster " + String.join(",", nodes.stream().map(u -> describe(u, false)).toList())
            : describe(uri, true);
    this.resources = DefaultClientResources.builder().build();
    this.client = OnlineClients.create(parsed, settings, resources);
    client.addListener(
        new RedisConnectionStateListener() {
          @Override
          public void onRedisDisconnected(RedisChannelHandler<?, ?> disconnected) {
            lost(disconnected);
          }

          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> c, SocketAddress local) {}

          @Override
          public void onRedisExceptionCaught(RedisChannelHandler<?, ?> c, Throwable cause) {}
        });
  }

  /**
   * Creates the client and starts connecting without waiting; see {@link #awaitConnected}. Fails
   * only on a malformed URI.
   */
  public static OnlineReader connect(String redisUri) {
    return connect(redisUri, GATEWAY);
  }

  /**
   * Like {@link #connect(String)}, with another command timeout than {@link #COMMAND_TIMEOUT}: the
   * gateway's configured limit.
   */
  public static OnlineReader connect(String redisUri, Duration commandTimeout) {
    return connect(redisUri, GATEWAY.withCommandTimeout(commandTimeout));
  }

  /**
   * Like {@link #connect(String)}, with other timeouts: a tool that reads a few keys once may wait
   * longer than a request may.
   */
  public static OnlineReader connect(String redisUri, OnlineClients.Settings settings) {
    OnlineReader store = new OnlineReader(redisUri, settings);
    store.attempt();
    return store;
  }

  /**
   * Where the store is, for messages: {@code host:port/db}, or {@code cluster host:port,...}; never
   * the password.
   */
  public String address() {
    return address;
  }

  /**
   * Waits up to {@code timeout} for a live connection, as {@link #awaitConnected}.
   *
   * @throws OnlineStoreUnavailableException naming why there is none
   */
  public void requireConnected(Duration timeout) {
    if (!awaitConnected(timeout)) {
      throw new OnlineStoreUnavailableException(
          "Redis at " + address + " is not reachable: " + notConnected, null);
    }
  }

  /**
   * Waits up to {@code timeout} for a live connection; true when there is one, false as soon as the
   * first attempt failed (reconnecting goes on in the background).
   */
  public boolean awaitConnected(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (live() == null) {
      if (System.nanoTime() >= deadline || closed || failedAttempts.get() > 0) {
        return false;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** The stored value of an entity's row of a view version ({@link OnlineKeys}), or null. */
  public CompletionStage<byte[]> value(ViewPlan plan, String entityKey) {
    return get(OnlineKeys.key(plan, entityKey));
  }

  /**
   * {@link #value}, waiting for it: for a tool, never for an event loop.
   *
   * @throws OnlineStoreUnavailableException when Redis cannot answer in time
   */
  public byte[] awaitValue(ViewPlan plan, String entityKey) {
    try {
      return value(plan, entityKey).toCompletableFuture().join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
  }

  /** The value at {@code key}, or null when there is none. */
  public CompletionStage<byte[]> get(String key) {
    return withConnection(c -> c.get(key), "GET");
  }

  /**
   * The values at {@code keys}, in their order, null where there is none: one MGET, one round trip
   * however many keys.
   */
  public CompletionStage<List<byte[]>> mget(List<String> keys) {
    String[] array = keys.toArray(String[]::new);
    return withConnection(c -> c.mget(array), "MGET")
        .thenApply(
            values -> {
              List<byte[]> out = new ArrayList<>(values.size());
              for (KeyValue<String, byte[]> kv : values) {
                out.add(kv.hasValue() ? kv.getValue() : null);
              }
              return out;
            });
  }

  /**
   * The rows of window-end views at {@code keys} ({@link OnlineKeys#key}), in their order, each
   * with the store's clock read atomically with it ({@link RowReadScript}): on one server one run
   * of the script for all keys; on a Redis Cluster one run per hash slot, all sent at once (the
   * keys of one entity share a slot, so an entity's rows of every view are read at one instant).
   * One round trip either way. Sent as {@code EVALSHA}, and as {@code EVAL} where Redis does not
   * have the script yet. Fails as the other reads do: {@link OnlineStoreUnavailableException} when
   * Redis cannot answer in time. Values are returned as stored; decoding them is the caller's, key
   * by key.
   */
  public CompletionStage<List<OnlineRow>> rows(List<String> keys) {
    if (keys.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    List<List<Integer>> groups = new ArrayList<>();
    if (cluster) {
      Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
      for (int i = 0; i < keys.size(); i++) {
        bySlot.computeIfAbsent(SlotHash.getSlot(keys.get(i)), s -> new ArrayList<>()).add(i);
      }
      groups.addAll(bySlot.values());
    } else {
      List<Integer> all = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        all.add(i);
      }
      groups.add(all);
    }
    return withConnection(
            c -> {
              List<CompletableFuture<List<Object>>> replies = new ArrayList<>(groups.size());
              for (List<Integer> group : groups) {
                String[] keyArray = new String[group.size()];
                for (int g = 0; g < keyArray.length; g++) {
                  keyArray[g] = keys.get(group.get(g));
                }
                CompletionStage<List<Object>> reply =
                    c.<List<Object>>evalsha(RowReadScript.SHA, ScriptOutputType.MULTI, keyArray)
                        .exceptionallyCompose(
                            failure ->
                                noScript(failure)
                                    ? c.<List<Object>>eval(
                                        RowReadScript.BYTES, ScriptOutputType.MULTI, keyArray)
                                    : CompletableFuture.failedFuture(failure));
                replies.add(reply.toCompletableFuture());
              }
              return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
                  .thenApply(done -> replies.stream().map(CompletableFuture::join).toList());
            },
            "EVALSHA (row read)")
        .thenApply(
            replies -> {
              OnlineRow[] out = new OnlineRow[keys.size()];
              for (int g = 0; g < groups.size(); g++) {
                List<Integer> group = groups.get(g);
                List<Object> reply = replies.get(g);
                if (reply == null || reply.size() != group.size() + 2) {
                  throw new IllegalStateException(
                      "the row read script returned "
                          + (reply == null ? "nothing" : reply.size() + " items")
                          + " for "
                          + group.size()
                          + " keys, expected TIME's two and one per key");
                }
                long micros =
                    Long.parseLong(text(reply.get(0))) * 1_000_000L
                        + Long.parseLong(text(reply.get(1)));
                for (int k = 0; k < group.size(); k++) {
                  out[group.get(k)] = new OnlineRow(micros, (byte[]) reply.get(k + 2));
                }
              }
              return List.of(out);
            });
  }

  /**
   * {@link #rows} of one entity of {@code plan}, waiting for it: for a tool, never for an event
   * loop.
   *
   * @throws OnlineStoreUnavailableException when Redis cannot answer in time
   */
  public OnlineRow awaitRow(ViewPlan plan, String entityKey) {
    try {
      return rows(List.of(OnlineKeys.key(plan, entityKey))).toCompletableFuture().join().get(0);
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
  }

  /**
   * The tiles of request-time views at {@code keys} ({@link OnlineKeys#key}), in their order: one
   * run of {@link TileScripts#READ} per key, all sent at once (pipelined), each returning the
   * store's clock and the key's tiles atomically. Sent as {@code EVALSHA}, and as {@code EVAL}
   * where Redis does not have the script yet. Fails as the other reads do: {@link
   * OnlineStoreUnavailableException} when Redis cannot answer in time; a stored tile that cannot be
   * parsed fails the whole stage with {@link IllegalArgumentException}.
   */
  public CompletionStage<List<EntityTiles>> tiles(List<String> keys) {
    if (keys.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    return withConnection(
            c -> {
              List<CompletableFuture<List<Object>>> replies = new ArrayList<>(keys.size());
              for (String key : keys) {
                String[] keyArray = {key};
                CompletionStage<List<Object>> reply =
                    c.<List<Object>>evalsha(TileScripts.READ_SHA, ScriptOutputType.MULTI, keyArray)
                        .exceptionallyCompose(
                            failure ->
                                noScript(failure)
                                    ? c.<List<Object>>eval(
                                        TileScripts.READ_BYTES, ScriptOutputType.MULTI, keyArray)
                                    : CompletableFuture.failedFuture(failure));
                replies.add(reply.toCompletableFuture());
              }
              return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
                  .thenApply(done -> replies.stream().map(CompletableFuture::join).toList());
            },
            "EVALSHA (tile read)")
        .thenApply(
            replies -> {
              // parsed outside withConnection: a corrupt value is not Redis being away
              List<EntityTiles> out = new ArrayList<>(replies.size());
              for (int i = 0; i < replies.size(); i++) {
                out.add(entityTiles(keys.get(i), replies.get(i)));
              }
              return out;
            });
  }

  /**
   * {@link #tiles} of one entity of {@code plan}, waiting for them: for a tool, never for an event
   * loop.
   *
   * @throws OnlineStoreUnavailableException when Redis cannot answer in time
   */
  public EntityTiles awaitTiles(ViewPlan plan, String entityKey) {
    try {
      return tiles(List.of(OnlineKeys.key(plan, entityKey))).toCompletableFuture().join().get(0);
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
  }

  private static boolean noScript(Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    return cause instanceof RedisNoScriptException
        || (cause instanceof RedisCommandExecutionException
            && cause.getMessage() != null
            && cause.getMessage().startsWith("NOSCRIPT"));
  }

  private static EntityTiles entityTiles(String key, List<Object> reply) {
    if (reply == null || reply.size() < 2 || reply.size() % 2 != 0) {
      throw new IllegalArgumentException(
          "the tile read script returned "
              + (reply == null ? "nothing" : reply.size() + " items")
              + " for key '"
              + key
              + "', expected TIME's two and pairs of field and value");
    }
    long seconds = Long.parseLong(text(reply.get(0)));
    long micros = Long.parseLong(text(reply.get(1)));
    List<StoredTile> tiles = new ArrayList<>((reply.size() - 2) / 2);
    for (int i = 2; i < reply.size(); i += 2) {
      try {
        tiles.add(TileScripts.parse((byte[]) reply.get(i), (byte[]) reply.get(i + 1)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("key '" + key + "': " + e.getMessage(), e);
      }
    }
    tiles.sort(Comparator.comparingLong(StoredTile::start));
    return new EntityTiles(seconds * 1_000_000L + micros, tiles);
  }

  private static String text(Object item) {
    return item instanceof byte[] bytes
        ? new String(bytes, StandardCharsets.US_ASCII)
        : String.valueOf(item);
  }

  /** Completes when Redis answers PING. */
  public CompletionStage<Void> ping() {
    return withConnection(c -> c.ping(), "PING").thenApply(pong -> null);
  }

  private <T> CompletionStage<T> withConnection(
      Function<RedisClusterAsyncCommands<String, byte[]>, CompletionStage<T>> command,
      String name) {
    StatefulConnection<String, byte[]> c = live();
    if (c == null) {
      return CompletableFuture.failedFuture(
          new OnlineStoreUnavailableException(
              "Redis at "
                  + address
                  + " is not reachable: "
                  + notConnected
                  + " (reconnecting every "
                  + CONNECT_RETRY_INTERVAL.toMillis()
                  + " ms)",
              null));
    }
    CompletionStage<T> sent;
    try {
      sent = command.apply(OnlineClients.async(c));
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.handle((value, failure) -> answer(value, failure, name));
  }

  /** The connection if it is open; else null, making sure a reconnect is under way. */
  private StatefulConnection<String, byte[]> live() {
    StatefulConnection<String, byte[]> c = connection;
    if (c != null && c.isOpen()) {
      return c;
    }
    if (c != null) {
      lost(c);
    }
    return null;
  }

  /**
   * The value, or the failure as the gateway reports it: an error reply from Redis about the
   * command itself (such as WRONGTYPE) stays as it is, a server fault; anything else (a timeout, a
   * closed or refused connection, Redis loading or busy) means Redis cannot answer now.
   */
  private <T> T answer(T value, Throwable failure, String command) {
    if (failure == null) {
      return value;
    }
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (cause instanceof OnlineStoreUnavailableException unavailable) {
      throw unavailable;
    }
    boolean commandRejected =
        cause instanceof RedisCommandExecutionException
            && !(cause instanceof RedisLoadingException)
            && !(cause instanceof RedisBusyException);
    if (commandRejected) {
      throw (RedisCommandExecutionException) cause;
    }
    throw new OnlineStoreUnavailableException(
        "Redis at " + address + " did not answer " + command + ": " + rootMessage(cause), cause);
  }

  /** Forgets a connection whose link dropped and starts reconnecting. */
  private void lost(Object dropped) {
    StatefulConnection<String, byte[]> was;
    synchronized (lock) {
      was = connection;
      if (closed || was == null || dropped != was) {
        return;
      }
      connection = null;
      notConnected = "the connection was lost";
    }
    LOG.warn("lost the connection to Redis at {}; reconnecting", address);
    was.closeAsync();
    attempt();
  }

  /** Starts a connection attempt unless one is under way or scheduled. */
  private void attempt() {
    synchronized (lock) {
      if (closed || attempting || connection != null) {
        return;
      }
      attempting = true;
      retryScheduled = false;
    }
    CompletableFuture<? extends StatefulConnection<String, byte[]>> attempt;
    try {
      attempt =
          client instanceof RedisClusterClient clusterClient
              // The topology first: Lettuce connects to a cluster only once it knows the slots.
              ? clusterClient
                  .refreshPartitionsAsync()
                  .toCompletableFuture()
                  .thenCompose(loaded -> clusterClient.connectAsync(CODEC))
              : ((RedisClient) client).connectAsync(CODEC, uri).toCompletableFuture();
    } catch (RuntimeException e) {
      attempt = CompletableFuture.failedFuture(e);
    }
    attempt.whenComplete(this::attempted);
  }

  private void attempted(StatefulConnection<String, byte[]> c, Throwable failure) {
    synchronized (lock) {
      attempting = false;
      if (closed) {
        if (c != null) {
          c.closeAsync();
        }
        return;
      }
      if (failure == null && c.isOpen()) {
        connection = c;
      }
    }
    if (failure == null && c.isOpen()) {
      failedAttempts.set(0);
      LOG.info("connected to Redis at {}", address);
      return;
    }
    notConnected = failure == null ? "the new connection closed at once" : rootMessage(failure);
    if (failedAttempts.incrementAndGet() == 1) {
      LOG.warn(
          "cannot connect to Redis at {}: {} (retrying every {} ms; further failures are logged"
              + " at DEBUG)",
          address,
          notConnected,
          CONNECT_RETRY_INTERVAL.toMillis());
    } else {
      LOG.debug("cannot connect to Redis at {}: {}", address, notConnected);
    }
    scheduleRetry();
  }

  private void scheduleRetry() {
    synchronized (lock) {
      if (closed || retryScheduled) {
        return;
      }
      retryScheduled = true;
    }
    try {
      resources
          .eventExecutorGroup()
          .schedule(this::attempt, CONNECT_RETRY_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      LOG.debug("cannot schedule a reconnect to Redis at {} (closing?)", address, e);
    }
  }

  /** Closes the connection and frees Lettuce's threads; waits for them at most a few seconds. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      client.shutdown(0, 2, TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      LOG.warn("Redis client for {} did not shut down cleanly", address, e);
    }
    try {
      resources.shutdown(0, 2, TimeUnit.SECONDS).await(3, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String describe(RedisURI uri, boolean withDatabase) {
    String where = uri.getSocket() != null ? uri.getSocket() : uri.getHost() + ":" + uri.getPort();
    return withDatabase ? where + "/" + uri.getDatabase() : where;
  }

  /** The innermost message: Lettuce wraps "Connection refused" in "Unable to connect to ...". */
  private static String rootMessage(Throwable failure) {
    Throwable t = failure;
    String message = failure.toString();
    while (t != null) {
      if (t.getMessage() != null) {
        message = t.getMessage();
      }
      if (t.getCause() == t) {
        break;
      }
      t = t.getCause();
    }
    return message;
  }
}
