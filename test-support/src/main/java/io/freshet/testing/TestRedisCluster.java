package io.freshet.testing;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;
import redis.embedded.core.RedisServerBuilder;

/**
 * A three-node Redis Cluster for tests, started once per JVM and stopped when it exits: three
 * masters on 127.0.0.1, each with its own working directory, holding the slots 0-5460, 5461-10922
 * and 10923-16383, no replicas.
 *
 * <p>The nodes run the Redis binary shipped with embedded-redis, or else a {@code redis-server} on
 * the PATH. When neither can run in cluster mode, {@link #unavailable()} says why, and tests skip
 * themselves with it.
 */
public final class TestRedisCluster {
  /** The first slot of each node, and one past the last slot of the cluster. */
  private static final int[] SLOT_STARTS = {0, 5461, 10923, 16384};

  private static final Duration FORM_TIMEOUT = Duration.ofSeconds(30);

  private static List<Integer> ports;
  private static String unavailable;
  private static final List<RedisServer> servers = new ArrayList<>();
  private static Path workDir;

  private TestRedisCluster() {}

  /**
   * Why there is no cluster, or null when there is one; starts it on the first call. Tests call
   * this in an assumption: {@code assumeTrue(TestRedisCluster.unavailable() == null, ...)}.
   */
  public static synchronized String unavailable() {
    if (ports == null && unavailable == null) {
      start();
    }
    return unavailable;
  }

  /** The cluster URI of the online table, {@code redis-cluster://127.0.0.1:p1,...:p2,...:p3}. */
  public static String uri() {
    StringBuilder uri = new StringBuilder("redis-cluster://");
    for (int port : ports()) {
      if (uri.charAt(uri.length() - 1) != '/') {
        uri.append(',');
      }
      uri.append("127.0.0.1:").append(port);
    }
    return uri.toString();
  }

  /** One {@code redis://127.0.0.1:port} per node, in slot order. */
  public static List<String> nodes() {
    return ports().stream().map(p -> "redis://127.0.0.1:" + p).toList();
  }

  /** Deletes every key on every node. */
  public static void flushAll() {
    for (String node : nodes()) {
      onNode(node, r -> r.flushall());
    }
  }

  /** The number of keys on each node, in slot order. */
  public static List<Long> keyCounts() {
    List<Long> counts = new ArrayList<>();
    for (String node : nodes()) {
      counts.add(onNode(node, RedisCommands::dbsize));
    }
    return counts;
  }

  private static synchronized List<Integer> ports() {
    String why = unavailable();
    if (why != null) {
      throw new IllegalStateException("no Redis Cluster for tests: " + why);
    }
    return ports;
  }

  private static void start() {
    List<String> failures = new ArrayList<>();
    for (String binary : List.of("embedded", "path")) {
      try {
        ExecutableProvider provider =
            binary.equals("embedded")
                ? ExecutableProvider.newJarResourceProvider()
                : ExecutableProvider.newExecutableInPath("redis-server");
        ports = startNodes(provider);
        Runtime.getRuntime().addShutdownHook(new Thread(TestRedisCluster::stopAll));
        return;
      } catch (Exception e) {
        stopAll();
        failures.add(binary + " redis-server: " + e);
      }
    }
    unavailable =
        "a three-node Redis Cluster could not start with the embedded Redis binary nor a"
            + " redis-server on the PATH ("
            + String.join("; ", failures)
            + ")";
  }

  private static List<Integer> startNodes(ExecutableProvider provider) throws Exception {
    workDir = Files.createTempDirectory("freshet-redis-cluster");
    List<Integer> chosen = freePorts();
    for (int port : chosen) {
      Path dir = Files.createDirectories(workDir.resolve("node-" + port));
      RedisServer server =
          new RedisServerBuilder()
              .executableProvider(provider)
              .port(port)
              .setting("bind 127.0.0.1")
              .setting("dir " + dir.toAbsolutePath())
              .setting("cluster-enabled yes")
              .setting("cluster-config-file nodes-" + port + ".conf")
              .setting("cluster-node-timeout 5000")
              .setting("appendonly no")
              .setting("save \"\"")
              .build();
      servers.add(server);
      server.start();
    }
    form(chosen);
    return List.copyOf(chosen);
  }

  /** Joins the nodes, hands out the slots and waits until every node reports the cluster ok. */
  private static void form(List<Integer> nodePorts) throws InterruptedException {
    for (int i = 0; i < nodePorts.size(); i++) {
      int from = SLOT_STARTS[i];
      int to = SLOT_STARTS[i + 1];
      boolean joins = i > 0;
      onNode(
          "redis://127.0.0.1:" + nodePorts.get(i),
          r -> {
            if (joins) {
              r.clusterMeet("127.0.0.1", nodePorts.get(0));
            }
            return r.clusterAddSlots(IntStream.range(from, to).toArray());
          });
    }
    long deadline = System.nanoTime() + FORM_TIMEOUT.toNanos();
    List<String> states = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      states.clear();
      boolean ok = true;
      for (int port : nodePorts) {
        String info = onNode("redis://127.0.0.1:" + port, RedisCommands::clusterInfo);
        states.add(port + ": " + info.lines().limit(7).toList());
        ok &=
            info.contains("cluster_state:ok")
                && info.contains("cluster_slots_ok:16384")
                && info.contains("cluster_known_nodes:" + nodePorts.size());
      }
      if (ok) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(
        "the Redis Cluster did not reach cluster_state:ok within " + FORM_TIMEOUT + ": " + states);
  }

  private static <T> T onNode(String node, Function<RedisCommands<String, String>, T> command) {
    RedisClient client = RedisClient.create(RedisURI.create(node));
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      return command.apply(c.sync());
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  /** Three ports that are free, each with its cluster bus port (port + 10000) free too. */
  private static List<Integer> freePorts() throws IOException {
    List<Integer> chosen = new ArrayList<>();
    for (int attempt = 0; attempt < 1000 && chosen.size() < 3; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(20000, 30000);
      if (!chosen.contains(port) && free(port) && free(port + 10000)) {
        chosen.add(port);
      }
    }
    if (chosen.size() < 3) {
      throw new IOException("found no three free port pairs (port, port + 10000) for Redis");
    }
    return chosen;
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static synchronized void stopAll() {
    for (RedisServer server : servers) {
      try {
        server.stop();
      } catch (Exception ignored) {
        // the JVM is exiting, or the node never started
      }
    }
    servers.clear();
    if (workDir != null) {
      try (Stream<Path> files = Files.walk(workDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // a temporary directory
      }
      workDir = null;
    }
  }
}
