package io.freshet.maintenance;

import io.freshet.online.NewestWinsScript;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.online.OnlineStoreUri;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.OfflineTable;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
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
    long ttl = plan.view().ttl().toMillis();
    long now = clock.millis();
    String sql =
        "SELECT DISTINCT ON (entity_key) "
            + OfflineRows.columns(table)
            + " FROM "
            + table.qualifiedName()
            + " WHERE superseded_at IS NULL AND feature_ts > ?"
            + " ORDER BY entity_key, feature_ts DESC";
    RedisClient client = RedisClient.create(redisUrl);
    long read = 0;
    long written = 0;
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        StatefulRedisConnection<byte[], byte[]> redis = client.connect(ByteArrayCodec.INSTANCE)) {
      c.setAutoCommit(false);
      RedisCommands<byte[], byte[]> cmd = redis.sync();
      String sha = cmd.scriptLoad(NewestWinsScript.SOURCE.getBytes(StandardCharsets.UTF_8));
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setFetchSize(BATCH * 4);
        ps.setTimestamp(1, new java.sql.Timestamp(now - ttl));
        try (ResultSet rs = ps.executeQuery()) {
          List<byte[]> keys = new ArrayList<>(BATCH);
          List<byte[]> args = new ArrayList<>(BATCH * 2);
          while (rs.next()) {
            FeatureRow row = OfflineRows.read(rs, plan.parts());
            read++;
            long expiresAt = row.featureTs() + ttl;
            if (expiresAt <= now) {
              continue;
            }
            keys.add(OnlineKeys.keyBytes(plan, row.entityKey()));
            args.add(codec.encode(row));
            args.add(Long.toString(expiresAt).getBytes(StandardCharsets.US_ASCII));
            if (keys.size() == BATCH) {
              written += flush(cmd, sha, keys, args);
            }
          }
          written += flush(cmd, sha, keys, args);
        }
      }
      c.commit();
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
    return new Result(plan.name(), read, written);
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
