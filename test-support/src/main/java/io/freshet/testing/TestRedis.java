package io.freshet.testing;

import java.net.ServerSocket;
import redis.embedded.RedisServer;

/**
 * A real Redis server for tests: the one named by {@code FRESHET_REDIS_URL}, else one listening on
 * 127.0.0.1:6379, else an embedded server started once per JVM.
 *
 * <p>Test classes isolate themselves by logical database: {@link #uri(int)} with a number of their
 * own, flushing it before use.
 */
public final class TestRedis {
  private static String baseUri;
  private static RedisServer embedded;

  private TestRedis() {}

  /** The base URI, {@code redis://host:port}, without a database number. */
  public static synchronized String baseUri() {
    if (baseUri != null) {
      return baseUri;
    }
    String env = System.getenv("FRESHET_REDIS_URL");
    if (env != null && !env.isBlank()) {
      baseUri = env.replaceAll("/\\d+$", "");
    } else if (TestPostgres.listening("127.0.0.1", 6379)) {
      baseUri = "redis://127.0.0.1:6379";
    } else {
      baseUri = startEmbedded();
    }
    return baseUri;
  }

  /** The URI of logical database {@code db} (0 to 15). */
  public static String uri(int db) {
    return baseUri() + "/" + db;
  }

  private static String startEmbedded() {
    try (ServerSocket s = new ServerSocket(0)) {
      int port = s.getLocalPort();
      s.close();
      embedded = RedisServer.newRedisServer().port(port).setting("bind 127.0.0.1").build();
      embedded.start();
      Runtime.getRuntime().addShutdownHook(new Thread(TestRedis::stopEmbedded));
      return "redis://127.0.0.1:" + port;
    } catch (Exception e) {
      throw new IllegalStateException(
          "no Redis found (FRESHET_REDIS_URL unset, nothing on 127.0.0.1:6379) and an embedded"
              + " Redis could not start",
          e);
    }
  }

  private static void stopEmbedded() {
    try {
      embedded.stop();
    } catch (Exception ignored) {
      // the JVM is exiting
    }
  }
}
