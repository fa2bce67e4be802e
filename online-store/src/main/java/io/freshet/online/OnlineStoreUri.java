package io.freshet.online;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where the online table lives: one Redis server or a Redis Cluster. This is the one place the URI
 * convention is defined; the online sink and the gateway both read it through this class.
 *
 * <ul>
 *   <li>One server, in Lettuce's syntax: {@code redis://[[user:]password@]host[:port][/database]},
 *       {@code rediss://} for TLS. Passed on unchanged.
 *   <li>A Redis Cluster: {@code redis-cluster://[[user:]password@]host[:port][,host[:port]...]},
 *       {@code rediss-cluster://} for TLS, e.g. {@code
 *       redis-cluster://secret@10.0.0.1:7000,10.0.0.2:7000}. The hosts are seed nodes: one that
 *       answers is enough, the client learns the rest of the cluster from it. The port defaults to
 *       6379. A cluster has only database 0, so the path may be empty or {@code /0}; the query, if
 *       any, applies to every node.
 * </ul>
 *
 * <p>Online keys carry the entity as a hash tag ({@link OnlineKeys}), so a cluster spreads entities
 * over its slots and keeps each entity's views together.
 *
 * @param cluster whether the URI names a Redis Cluster
 * @param nodes for a cluster, one {@code redis://} (or {@code rediss://}) URI per seed node, with
 *     the credentials and query of the cluster URI; for one server, the URI itself
 */
public record OnlineStoreUri(boolean cluster, List<String> nodes) {
  public static final String CLUSTER_SCHEME = "redis-cluster";
  public static final String CLUSTER_TLS_SCHEME = "rediss-cluster";

  public OnlineStoreUri {
    nodes = List.copyOf(nodes);
  }

  /**
   * Parses {@code uri}; a cluster URI is checked here, a single-server URI is left to the Redis
   * client.
   *
   * @throws IllegalArgumentException on a malformed cluster URI, naming what is wrong
   */
  public static OnlineStoreUri parse(String uri) {
    if (uri == null || uri.isBlank()) {
      throw new IllegalArgumentException("the Redis URI of the online table is missing");
    }
    int sep = uri.indexOf("://");
    String scheme = sep < 0 ? "" : uri.substring(0, sep).toLowerCase(Locale.ROOT);
    if (!scheme.equals(CLUSTER_SCHEME) && !scheme.equals(CLUSTER_TLS_SCHEME)) {
      return new OnlineStoreUri(false, List.of(uri));
    }
    String nodeScheme = scheme.equals(CLUSTER_SCHEME) ? "redis" : "rediss";
    String rest = uri.substring(sep + 3);
    int query = rest.indexOf('?');
    String suffix = query < 0 ? "" : rest.substring(query);
    rest = query < 0 ? rest : rest.substring(0, query);
    int slash = rest.indexOf('/');
    String path = slash < 0 ? "" : rest.substring(slash);
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    if (!path.isEmpty() && !path.equals("/") && !path.equals("/0")) {
      throw new IllegalArgumentException(
          "a Redis Cluster has only database 0, but the URI asks for '"
              + path
              + "' (use "
              + scheme
              + "://host1:port,host2:port)");
    }
    int at = authority.lastIndexOf('@');
    String userInfo = at < 0 ? "" : authority.substring(0, at + 1);
    String hosts = authority.substring(at + 1);
    List<String> nodes = new ArrayList<>();
    for (String host : hosts.split(",", -1)) {
      String h = host.strip();
      if (h.isEmpty()) {
        throw new IllegalArgumentException(
            "the Redis Cluster URI names an empty host (expected "
                + scheme
                + "://host1:port,host2:port)");
      }
      String port = portOf(h);
      if (port == null) {
        h = h + ":6379";
      } else if (!port.matches("\\d{1,5}") || Integer.parseInt(port) > 65535) {
        throw new IllegalArgumentException(
            "the Redis Cluster URI has a bad port in '" + h + "' (expected host:port)");
      }
      nodes.add(nodeScheme + "://" + userInfo + h + suffix);
    }
    return new OnlineStoreUri(true, nodes);
  }

  /** The port of {@code host[:port]} or {@code [v6]:port}, or null when there is none. */
  private static String portOf(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0 || (hostPort.startsWith("[") && colon < hostPort.indexOf(']'))) {
      return null;
    }
    return hostPort.substring(colon + 1);
  }

  /**
   * Whether {@code uri} names a Redis Cluster ({@code redis-cluster://}, {@code
   * rediss-cluster://}).
   */
  public static boolean isCluster(String uri) {
    return uri != null
        && (uri.regionMatches(true, 0, CLUSTER_SCHEME + "://", 0, CLUSTER_SCHEME.length() + 3)
            || uri.regionMatches(
                true, 0, CLUSTER_TLS_SCHEME + "://", 0, CLUSTER_TLS_SCHEME.length() + 3));
  }
}
