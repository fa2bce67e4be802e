package io.freshet.deploy.cli;

import io.freshet.deploy.stack.RedisEndpoint;
import io.freshet.online.OnlineStoreUri;
import io.freshet.storage.StoreUrls;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --redis-url}: the Redis of the online table. */
final class RedisOption {
  @Option(
      names = "--redis-url",
      paramLabel = "<redis-url>",
      description =
          "Redis holding the online table (default: FRESHET_REDIS_URL, else "
              + RedisEndpoint.DEFAULT_LOCAL_URL
              + ").")
  String redisUrl;

  /** The flag's URL, else FRESHET_REDIS_URL's, else the local default; checked to be a URL. */
  Setting resolve(Map<String, String> env) {
    Setting s = Setting.resolve(redisUrl, "--redis-url", "FRESHET_REDIS_URL", env);
    if (s == null) {
      return new Setting(RedisEndpoint.DEFAULT_LOCAL_URL, "the default");
    }
    if (!s.value().startsWith("redis://")
        && !s.value().startsWith("rediss://")
        && !OnlineStoreUri.isCluster(s.value())) {
      throw new UsageException(
          s.source()
              + " is '"
              + s.value()
              + "', not a Redis URL (expected e.g. "
              + RedisEndpoint.DEFAULT_LOCAL_URL
              + ", or redis-cluster://host1:port,host2:port for a Redis Cluster)");
    }
    return s;
  }

  /** A Redis URL without its password, for printing. */
  static String display(String redisUrl) {
    return StoreUrls.redact(redisUrl);
  }
}
