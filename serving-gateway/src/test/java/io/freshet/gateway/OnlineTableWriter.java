package io.freshet.gateway;

import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.online.OnlineStoreUri;
import io.freshet.online.RowReadScript;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;

/**
 * Writes the online table as the Flink job does, through the storage contract: key {@link
 * OnlineKeys#key}, value {@link OnlineCodec#encode}, expiring at PXAT. Takes a single-server or a
 * cluster URI ({@link OnlineStoreUri}); on a cluster, {@link #flushDb} empties every master.
 */
final class OnlineTableWriter implements AutoCloseable {
  private final AbstractRedisClient client;
  private final StatefulConnection<String, byte[]> connection;
  private final RedisClusterCommands<String, byte[]> redis;

  OnlineTableWriter(String redisUri) {
    RedisCodec<String, byte[]> codec = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    OnlineStoreUri uri = OnlineStoreUri.parse(redisUri);
    if (uri.cluster()) {
      RedisClusterClient cluster =
          RedisClusterClient.create(uri.nodes().stream().map(RedisURI::create).toList());
      StatefulRedisClusterConnection<String, byte[]> c = cluster.connect(codec);
      client = cluster;
      connection = c;
      redis = c.sync();
    } else {
      RedisClient single = RedisClient.create(redisUri);
      StatefulRedisConnection<String, byte[]> c = single.connect(codec);
      client = single;
      connection = c;
      redis = c.sync();
    }
  }

  void flushDb() {
    redis.flushdb();
  }

  /** Writes the row with the job's expiry, {@code feature_ts + ttl}. */
  void write(ViewPlan plan, FeatureRow row) {
    writeExpiringAt(plan, row, row.featureTs() + plan.ttl().toMillis());
  }

  void writeExpiringAt(ViewPlan plan, FeatureRow row, long pxAtMillis) {
    redis.set(
        OnlineKeys.key(plan, row.entityKey()),
        new OnlineCodec(plan).encode(row),
        SetArgs.Builder.pxAt(pxAtMillis));
  }

  /** Loads {@link RowReadScript} into every master. */
  void loadRowReadScript() {
    redis.scriptLoad(RowReadScript.BYTES);
  }

  void writeRaw(String key, byte[] value) {
    redis.set(key, value);
  }

  /** Sets one field of the hash at {@code key}, as a request-time view's tiles are kept. */
  void writeRawField(String key, String field, byte[] value) {
    redis.hset(key, field, value);
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown();
  }
}
