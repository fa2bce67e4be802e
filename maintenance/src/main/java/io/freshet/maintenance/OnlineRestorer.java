package io.freshet.maintenance;

import io.freshet.offline.OfflineSession;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.OfflineTable;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineStoreUri;
import io.freshet.online.OnlineWriter;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.time.Clock;
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

  /**
   * Restores one view; returns how many rows were read and how many keys were written.
   *
   * @throws OfflineStoreException if the offline table cannot be read
   */
  public Result restore(ViewPlan plan) {
    OfflineTable table = OfflineTable.of(plan);
    long ttl = plan.ttl().toMillis();
    long now = clock.millis();
    long[] read = {0};
    long[] written = {0};
    try (OfflineSession offline = OfflineSession.open(jdbcUrl, APPLICATION_NAME);
        OnlineWriter writer =
            OnlineWriter.create(plan, redisUrl, OnlineClients.Settings.forTool())) {
      writer.connect();
      List<FeatureRow> rows = new ArrayList<>(BATCH);
      offline.forEachLatestCurrentRow(
          table,
          Instant.ofEpochMilli(now - ttl),
          BATCH * 4,
          row -> {
            read[0]++;
            rows.add(row);
            if (rows.size() == BATCH) {
              written[0] += writer.writeAll(rows, now, BATCH);
              rows.clear();
            }
          });
      written[0] += writer.writeAll(rows, now, BATCH);
    }
    return new Result(plan.name(), read[0], written[0]);
  }
}
