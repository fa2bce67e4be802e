package io.freshet.maintenance;

import io.freshet.offline.OfflineReader;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.PostgresSessions;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.NewestWinsScript;
import io.freshet.storage.OnlineCodec;
import io.freshet.storage.OnlineKeys;
import io.freshet.storage.OnlineStoreUri;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Rebuilds a view's online table from the offline table: every entity's latest current row that is
 * still within the TTL, written with the same newest-wins script as the streaming sink, so a
 * restore racing a running job never puts an older window over a newer one.
 *
 * <p>Use it when Redis lost its data (a restart without persistence, a flushed database, a new
 * cluster): the gateway answers NOT_FOUND until the rows are back.
 */
public final class OnlineRestorer {
  private static final int BATCH = 500;

  /** The {@code application_name} of the restorer's Postgres sessions. */
  static final String APPLICATION_NAME = "freshet-restore-online";

  private final String jdbcUrl;
  private final String redisUrl;
  private final Clock clock;

  public OnlineRestorer(String jdbcUrl, String redisUrl, Clock clock) {
    this.jdbcUrl = jdbcUrl;
    if (OnlineStoreUri.isCluster(redisUrl)) {
      throw new IllegalArgumentException(
          "restore-online talks to one Redis server (redis://host:port); it does not follow a Redis"
              + " Cluster's slots, so it cannot work on a redis-cluster:// URI");
    }
    this.redisUrl = redisUrl;
    this.clock = clock;
  }

  /** What a restore did. */
  public record Result(String view, long rowsRead, long keysWritten) {}

  /** Restores one view; returns how many rows were read and how many keys were written. */
  public Result restore(ViewPlan plan) throws SQLException {
    OfflineTable table = OfflineTable.of(plan);
    OnlineCodec codec = new OnlineCodec(plan);
    long ttl = plan.ttl().toMillis();
    long now = clock.millis();
    RedisClient client = RedisClient.create(redisUrl);
    long[] read = {0};
    long[] written = {0};
    try (Connection c = PostgresSessions.open(jdbcUrl, APPLICATION_NAME, Duration.ZERO);
        StatefulRedisConnection<byte[], byte[]> redis = client.connect(ByteArrayCodec.INSTANCE)) {
      c.setAutoCommit(false);
      RedisCommands<byte[], byte[]> cmd = redis.sync();
      String sha = cmd.scriptLoad(NewestWinsScript.SOURCE.getBytes(StandardCharsets.UTF_8));
      List<byte[]> keys = new ArrayList<>(BATCH);
      List<byte[]> args = new ArrayList<>(BATCH * 2);
      new OfflineReader(c, table)
          .forEachLatestCurrentRow(
              Instant.ofEpochMilli(now - ttl),
              BATCH * 4,
              row -> {
                read[0]++;
                long expiresAt = row.featureTs() + ttl;
                if (expiresAt <= now) {
                  return;
                }
                keys.add(OnlineKeys.keyBytes(plan, row.entityKey()));
                args.add(codec.encode(row));
                args.add(Long.toString(expiresAt).getBytes(StandardCharsets.US_ASCII));
                if (keys.size() == BATCH) {
                  written[0] += flush(cmd, sha, keys, args);
                }
              });
      written[0] += flush(cmd, sha, keys, args);
      c.commit();
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
    return new Result(plan.name(), read[0], written[0]);
  }

  private static long flush(
      RedisCommands<byte[], byte[]> cmd, String sha, List<byte[]> keys, List<byte[]> args) {
    if (keys.isEmpty()) {
      return 0;
    }
    Long n =
        cmd.evalsha(
            sha,
            ScriptOutputType.INTEGER,
            keys.toArray(new byte[0][]),
            args.toArray(new byte[0][]));
    keys.clear();
    args.clear();
    return n == null ? 0 : n;
  }
}
