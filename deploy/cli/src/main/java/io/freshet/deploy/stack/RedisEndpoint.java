package io.freshet.deploy.stack;

import io.freshet.online.OnlineClients;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import redis.embedded.RedisServer;

/**
 * The Redis the stack uses: the one configured, else a server on 127.0.0.1:6379, else an embedded
 * one on a free port started for this run (and stopped by {@link #close()}).
 */
public final class RedisEndpoint implements AutoCloseable {
  /** The URL tried when nothing is configured. */
  public static final String DEFAULT_LOCAL_URL = "redis://127.0.0.1:6379";

  private final String url;
  private final String origin;
  private final RedisServer embedded;

  private RedisEndpoint(String url, String origin, RedisServer embedded) {
    this.url = url;
    this.origin = origin;
    this.embedded = embedded;
  }

  /**
   * Finds the Redis to use.
   *
   * @param configuredUrl a {@code redis://} URL from a flag or the environment, or null
   * @param source where {@code configuredUrl} came from, for messages (e.g. "FRESHET_REDIS_URL")
   * @param workDir where an embedded server keeps its files
   */
  public static RedisEndpoint locate(String configuredUrl, String source, Path workDir) {
    if (configuredUrl != null) {
      if (!configuredUrl.startsWith("redis://") && !configuredUrl.startsWith("rediss://")) {
        throw new StackException(
            source
                + " is '"
                + configuredUrl
                + "', not a Redis URL (expected e.g. "
                + DEFAULT_LOCAL_URL
                + ")");
      }
      requirePong(configuredUrl, "the Redis named by " + source);
      return new RedisEndpoint(configuredUrl, "from " + source, null);
    }
    if (Ports.listening("127.0.0.1", 6379)) {
      requirePong(DEFAULT_LOCAL_URL, "the Redis on 127.0.0.1:6379");
      return new RedisEndpoint(DEFAULT_LOCAL_URL, "found running", null);
    }
    int port = Ports.free();
    Path dir = workDir.resolve("redis");
    try {
      Files.createDirectories(dir);
      RedisServer server =
          RedisServer.newRedisServer()
              .port(port)
              .bind("127.0.0.1")
              .setting("save \"\"")
              .setting("appendonly no")
              .setting("dir " + dir.toAbsolutePath())
              .build();
      server.start();
      return new RedisEndpoint(
          "redis://127.0.0.1:" + port, "embedded, started for this run", server);
    } catch (IOException | RuntimeException e) {
      throw new StackException(
          "no Redis found (nothing on 127.0.0.1:6379) and an embedded Redis could not start: "
              + e.getMessage()
              + ". Start a Redis server or set FRESHET_REDIS_URL, e.g. "
              + DEFAULT_LOCAL_URL,
          e);
    }
  }

  private static void requirePong(String url, String what) {
    try {
      OnlineClients.requireValid(url);
    } catch (RuntimeException e) {
      throw new StackException("'" + url + "' is not a valid Redis URL: " + e.getMessage(), e);
    }
    try {
      OnlineClients.ping(url, Duration.ofSeconds(3));
    } catch (RuntimeException e) {
      throw new StackException(
          "could not reach "
              + what
              + " ("
              + url
              + "): "
              + e.getMessage()
              + ". Fix the server or the URL in FRESHET_REDIS_URL or --redis-url.",
          e);
    }
  }

  public String url() {
    return url;
  }

  /** Where this Redis came from, for the summary the command prints. */
  public String origin() {
    return origin;
  }

  /** True when this run started the server (and {@link #close()} stops it). */
  public boolean startedHere() {
    return embedded != null;
  }

  @Override
  public void close() {
    if (embedded != null) {
      try {
        embedded.stop();
      } catch (IOException e) {
        throw new StackException("could not stop the embedded Redis: " + e.getMessage(), e);
      }
    }
  }
}
