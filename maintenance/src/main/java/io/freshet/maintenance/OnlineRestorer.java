package io.freshet.maintenance;

import io.freshet.aggregate.RequestTimeRule;
import io.freshet.offline.OfflineSession;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.TileTable;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineStoreUri;
import io.freshet.online.OnlineWriter;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
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
 *
 * <p><b>Visibility instants.</b> Restored rows get new stamps online (the instant of the restore's
 * write, {@link io.freshet.online.NewestWinsScript}), while the offline history keeps its {@code
 * visible_at}: the instant each version was first servable. The restore writes nothing offline.
 * That is on purpose: {@code visible_at} is one instant per version, which cannot describe a gap in
 * serving, and moving it to the restore would rewrite the history that training sets built earlier
 * read, and would say that values the gateway served for hours before the outage were never served
 * then. So an as-served training set shows, for labels during the outage, the values the history
 * says were served, where the gateway answered NOT_FOUND; the outage is the operator's record, not
 * the history's. A version without a {@code visible_at} (a backfill, never served by the job) stays
 * without one even though the restore puts it online: as-served sets treat it as never served, so
 * for labels after the restore they take the previous served version, or none, until the job serves
 * a newer row.
 *
 * <p>A request-time view is restored from its tile history instead ({@link #restoreTiles}): the
 * newest version of every tile an online read could still select, through the job's own tile
 * script, so a newer version a running job wrote meanwhile is kept. As for rows, <b>restored tiles
 * get new visibility instants online</b> (the instant of the restore's write), while the history
 * keeps the instants at which they were first served.
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
   * What a restore of a request-time view did.
   *
   * @param entities entities with a tile a read could still select
   * @param tilesRead newest tile versions read from the history
   * @param tilesWritten tiles the online table now holds in the history's version (written now, or
   *     already there)
   * @param tilesRefused tiles not written: the online table holds a newer version (a running job
   *     wrote it), or the tile stopped being selectable while the restore ran
   */
  public record TileResult(
      String view, long entities, long tilesRead, long tilesWritten, long tilesRefused) {}

  /**
   * Restores one view served at window ends; returns how many rows were read and how many keys were
   * written. The offline table is only read: its {@code visible_at} keep the instants the rows were
   * first served (see above).
   *
   * @throws OfflineStoreException if the offline table cannot be read
   * @throws IllegalArgumentException for a request-time view: use {@link #restoreTiles}
   */
  public Result restore(ViewPlan plan) {
    if (plan.requestTime()) {
      throw new IllegalArgumentException(
          "view '"
              + plan.name()
              + "' is served at request time from tiles; restore it with restoreTiles");
    }
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

  /**
   * Restores one request-time view from its tile history: for every entity not expired at the
   * restore's instant {@code now} ({@link RequestTimeRule#expiresAt} of its newest tile), the
   * newest version of each tile a read at or after {@code now} can select, and of its newest tile
   * (which decides expiry), written with {@link OnlineWriter#writeTiles}. Versions already online
   * stay as they are with their instants; a newer version online wins. The tiles written become
   * visible at the instant of this write, not at the instant the history records.
   *
   * @throws OfflineStoreException if the tile history cannot be read
   */
  public TileResult restoreTiles(ViewPlan plan) {
    TileTable table = TileTable.of(plan);
    RequestTimeRule rule = new RequestTimeRule(plan);
    long now = clock.millis();
    long[] counts = new long[4]; // entities, read, written, refused
    try (OfflineSession offline = OfflineSession.open(jdbcUrl, APPLICATION_NAME);
        OnlineWriter writer =
            OnlineWriter.create(plan, redisUrl, OnlineClients.Settings.forTool())) {
      writer.connect();
      List<Tile> pending = new ArrayList<>(BATCH);
      List<Tile> entityTiles = new ArrayList<>();
      Runnable flush =
          () -> {
            long[] stamps = writeTiles(writer, pending);
            for (long stamp : stamps) {
              counts[stamp < 0 ? 3 : 2]++;
            }
            pending.clear();
          };
      Runnable endEntity =
          () -> {
            if (entityTiles.isEmpty()) {
              return;
            }
            long newest = entityTiles.get(entityTiles.size() - 1).start();
            if (now < rule.expiresAt(newest)) {
              counts[0]++;
              for (Tile tl : entityTiles) {
                if (tl.start() == newest || !rule.unneededFrom(tl.start(), now)) {
                  pending.add(tl);
                }
              }
              if (pending.size() >= BATCH) {
                flush.run();
              }
            }
            entityTiles.clear();
          };
      offline.forEachNewestTile(
          table,
          null,
          null,
          v -> {
            counts[1]++;
            if (!entityTiles.isEmpty()
                && !entityTiles.get(0).entityKey().equals(v.tile().entityKey())) {
              endEntity.run();
            }
            entityTiles.add(v.tile());
          });
      endEntity.run();
      if (!pending.isEmpty()) {
        flush.run();
      }
    }
    return new TileResult(plan.name(), counts[0], counts[1], counts[2], counts[3]);
  }

  private static long[] writeTiles(OnlineWriter writer, List<Tile> tiles) {
    return writer.writeAllTiles(tiles, BATCH);
  }
}
