package io.freshet.flink.sink.online;

import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.OnlineCodec;
import io.freshet.storage.OnlineKeys;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Writes each entity's latest row of a view to the Redis online table, in the layout of {@link
 * OnlineCodec} under the key of {@link OnlineKeys}, expiring at {@code feature_ts + ttl}.
 *
 * <p>Rows are buffered per entity (the newest {@code feature_ts} wins) and written in one pipeline
 * when Flink flushes the writer (at every checkpoint and at end of input). SET is idempotent, so a
 * replay after a restart writes the same values again.
 */
public final class RedisOnlineSink implements Sink<FeatureRow> {
  private static final long serialVersionUID = 1L;

  private final ViewPlan plan;
  private final String redisUri;

  public RedisOnlineSink(ViewPlan plan, String redisUri) {
    this.plan = plan;
    this.redisUri = redisUri;
  }

  @Override
  public SinkWriter<FeatureRow> createWriter(WriterInitContext context) throws IOException {
    return new Writer(plan, redisUri);
  }

  static final class Writer implements SinkWriter<FeatureRow> {
    private static final int MAX_BUFFERED_KEYS = 10_000;

    private final ViewPlan plan;
    private final OnlineCodec codec;
    private final long ttlMillis;
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final Map<String, FeatureRow> latest = new LinkedHashMap<>();

    Writer(ViewPlan plan, String redisUri) {
      this.plan = plan;
      this.codec = new OnlineCodec(plan);
      this.ttlMillis = plan.view().ttl().toMillis();
      this.client = RedisClient.create(redisUri);
      this.client.setDefaultTimeout(Duration.ofSeconds(10));
      this.connection = client.connect(ByteArrayCodec.INSTANCE);
    }

    @Override
    public void write(FeatureRow row, Context context) throws IOException {
      latest.merge(row.entityKey(), row, (a, b) -> b.featureTs() >= a.featureTs() ? b : a);
      if (latest.size() >= MAX_BUFFERED_KEYS) {
        flush(false);
      }
    }

    @Override
    public void flush(boolean endOfInput) throws IOException {
      if (latest.isEmpty()) {
        return;
      }
      RedisAsyncCommands<byte[], byte[]> async = connection.async();
      long now = System.currentTimeMillis();
      List<RedisFuture<?>> pending = new ArrayList<>(latest.size());
      connection.setAutoFlushCommands(false);
      try {
        for (FeatureRow row : latest.values()) {
          long expiresAt = row.featureTs() + ttlMillis;
          if (expiresAt <= now) {
            continue;
          }
          pending.add(
              async.set(
                  OnlineKeys.keyBytes(plan, row.entityKey()),
                  codec.encode(row),
                  SetArgs.Builder.pxAt(expiresAt)));
        }
        connection.flushCommands();
      } finally {
        connection.setAutoFlushCommands(true);
      }
      boolean done =
          LettuceFutures.awaitAll(Duration.ofSeconds(30), pending.toArray(new RedisFuture<?>[0]));
      for (RedisFuture<?> f : pending) {
        String error = f.getError();
        if (!done || error != null) {
          throw new IOException(
              "could not write "
                  + pending.size()
                  + " online rows of view '"
                  + plan.name()
                  + "' to Redis: "
                  + (done ? error : "timed out after 30s"));
        }
      }
      latest.clear();
    }

    @Override
    public void close() {
      connection.close();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }
}
