package io.freshet.gateway;

import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.OnlineCodec;
import io.freshet.storage.OnlineKeys;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;

/**
 * Writes the online table as the Flink job does, through the storage contract: key {@link
 * OnlineKeys#key}, value {@link OnlineCodec#encode}, expiring at PXAT.
 */
final class OnlineTableWriter implements AutoCloseable {
  private final RedisClient client;
  private final StatefulRedisConnection<String, byte[]> connection;
  private final RedisCommands<String, byte[]> redis;

  OnlineTableWriter(String redisUri) {
    client = RedisClient.create(redisUri);
    connection = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
    redis = connection.sync();
  }

  void flushDb() {
    redis.flushdb();
  }

  /** Writes the row with the job's expiry, {@code feature_ts + ttl}. */
  void write(ViewPlan plan, FeatureRow row) {
    writeExpiringAt(plan, row, row.featureTs() + plan.view().ttl().toMillis());
  }

  void writeExpiringAt(ViewPlan plan, FeatureRow row, long pxAtMillis) {
    redis.set(
        OnlineKeys.key(plan, row.entityKey()),
        new OnlineCodec(plan).encode(row),
        SetArgs.Builder.pxAt(pxAtMillis));
  }

  void writeRaw(String key, byte[] value) {
    redis.set(key, value);
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown();
  }
}
