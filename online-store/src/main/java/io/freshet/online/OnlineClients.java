package io.freshet.online;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The one place a Redis client for the online table is set up: one server or a Redis Cluster, as
 * the {@link OnlineStoreUri} says, with the same options everywhere.
 *
 * <ul>
 *   <li>Each command times out after {@link Settings#commandTimeout}; a TCP connect after {@link
 *       Settings#connectTimeout}; sockets keep alive.
 *   <li>While a connection is down, commands fail at once rather than queue up.
 *   <li>One server: Lettuce reconnects by itself only when {@link Settings#autoReconnect} says so;
 *       otherwise its owner replaces a broken connection at its own pace (the sink's retry loop,
 *       the gateway's background reconnect).
 *   <li>A cluster: node connections reconnect by themselves; the topology is refreshed on every
 *       adaptive trigger, and moved slots are learnt from redirections.
 * </ul>
 */
public final class OnlineClients {
  /**
   * How a client behaves.
   *
   * @param commandTimeout the longest one command may take
   * @param connectTimeout the longest a TCP connect may take
   * @param clientName the {@code CLIENT SETNAME} of the connections, or null for none
   * @param autoReconnect whether Lettuce reconnects a single server's connection by itself
   */
  public record Settings(
      Duration commandTimeout, Duration connectTimeout, String clientName, boolean autoReconnect) {
    public Settings {
      Objects.requireNonNull(commandTimeout, "commandTimeout");
      Objects.requireNonNull(connectTimeout, "connectTimeout");
    }

    /**
     * For a command-line tool that reads or writes once and exits: Lettuce's own timeouts (60 s a
     * command, 10 s a connect) and its reconnect.
     */
    public static Settings forTool() {
      return new Settings(Duration.ofSeconds(60), Duration.ofSeconds(10), null, true);
    }

    /** The same settings with another command timeout. */
    public Settings withCommandTimeout(Duration timeout) {
      return new Settings(timeout, connectTimeout, clientName, autoReconnect);
    }
  }

  private OnlineClients() {}

  /**
   * A client for the store at {@code uri}: a {@link RedisClusterClient} for a cluster, else a
   * {@link RedisClient} whose default URI is the one server.
   *
   * @param resources the client's threads, or null for a set of its own
   * @throws IllegalArgumentException if the URI is malformed
   */
  public static AbstractRedisClient create(
      OnlineStoreUri uri, Settings settings, ClientResources resources) {
    List<RedisURI> nodes = redisUris(uri, settings);
    SocketOptions socket =
        SocketOptions.builder().connectTimeout(settings.connectTimeout()).keepAlive(true).build();
    TimeoutOptions timeouts = TimeoutOptions.enabled(settings.commandTimeout());
    if (uri.cluster()) {
      RedisClusterClient client =
          resources == null
              ? RedisClusterClient.create(nodes)
              : RedisClusterClient.create(resources, nodes);
      client.setOptions(
          ClusterClientOptions.builder()
              .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
              .timeoutOptions(timeouts)
              .socketOptions(socket)
              .topologyRefreshOptions(
                  ClusterTopologyRefreshOptions.builder()
                      .enableAllAdaptiveRefreshTriggers()
                      .build())
              .build());
      return client;
    }
    RedisClient client =
        resources == null
            ? RedisClient.create(nodes.get(0))
            : RedisClient.create(resources, nodes.get(0));
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(settings.autoReconnect())
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(timeouts)
            .socketOptions(socket)
            .build());
    return client;
  }

  /**
   * Checks that {@code uri} is a Redis URI this module can connect to, without connecting.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static void requireValid(String uri) {
    for (String node : OnlineStoreUri.parse(uri).nodes()) {
      RedisURI.create(node);
    }
  }

  /**
   * The Lettuce URIs of the store: the one server, or the cluster's seed nodes, each with the
   * command timeout and client name of {@code settings}.
   */
  public static List<RedisURI> redisUris(OnlineStoreUri uri, Settings settings) {
    List<RedisURI> nodes = new ArrayList<>();
    for (String node : uri.nodes()) {
      RedisURI nodeUri = RedisURI.create(node);
      nodeUri.setTimeout(settings.commandTimeout());
      if (settings.clientName() != null) {
        nodeUri.setClientName(settings.clientName());
      }
      nodes.add(nodeUri);
    }
    return nodes;
  }

  /** Connects {@code client} (made by {@link #create}), waiting for the connection. */
  public static <K, V> StatefulConnection<K, V> connect(
      AbstractRedisClient client, RedisCodec<K, V> codec) {
    return client instanceof RedisClusterClient cluster
        ? cluster.connect(codec)
        : ((RedisClient) client).connect(codec);
  }

  /** The blocking commands of a connection; on a cluster, Lettuce's cluster API. */
  public static <K, V> RedisClusterCommands<K, V> sync(StatefulConnection<K, V> c) {
    return c instanceof StatefulRedisClusterConnection<K, V> cluster
        ? cluster.sync()
        : ((StatefulRedisConnection<K, V>) c).sync();
  }

  /**
   * The asynchronous commands of a connection; on a cluster, Lettuce's cluster API, which splits a
   * cross-slot MGET by slot.
   */
  public static <K, V> RedisClusterAsyncCommands<K, V> async(StatefulConnection<K, V> c) {
    return c instanceof StatefulRedisClusterConnection<K, V> cluster
        ? cluster.async()
        : ((StatefulRedisConnection<K, V>) c).async();
  }

  /**
   * Checks that the store at {@code uri} answers PING within {@code timeout}.
   *
   * @throws RuntimeException Lettuce's, naming why not
   */
  public static void ping(String uri, Duration timeout) {
    AbstractRedisClient client =
        create(OnlineStoreUri.parse(uri), Settings.forTool().withCommandTimeout(timeout), null);
    try (StatefulConnection<String, String> c = connect(client, StringCodec.UTF8)) {
      sync(c).ping();
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }
}
