package io.freshet.flink.sink.tiles;

import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.CheckpointCommitter;
import io.freshet.flink.sink.CommitFaults.Point;
import io.freshet.flink.sink.CommitFaults.Store;
import io.freshet.flink.sink.CommitId;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.offline.OfflineTileWriter;
import io.freshet.offline.OfflineWriter;
import io.freshet.offline.SinkCommits;
import io.freshet.offline.TileTable;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineStoreErrors;
import io.freshet.online.OnlineWriter;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.StoreUrls;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;

/**
 * Commits checkpoints of tile versions to both stores, online first:
 *
 * <ol>
 *   <li>If the offline commit marker of the committable is in, everything is: done.
 *   <li>Write the tiles online ({@link OnlineWriter#writeTiles}); the store answers, per tile, the
 *       instant from which it serves that version, or -1 if it holds a newer one.
 *   <li>Write the tile versions with those instants and the marker offline, in one transaction
 *       ({@link OfflineTileWriter#apply}).
 * </ol>
 *
 * <p>Without an online store (a backfill's history, {@link TileSink#historyOnly}) every version is
 * written offline as never served.
 *
 * <p>A commit cut off anywhere is completed by its replay: the online write of a version already
 * stored changes nothing and returns the instant it was first stored, so the offline history gets
 * the instants the gateway really started serving from, and the offline transaction either happened
 * whole (marker found) or not at all.
 */
final class TileCommitter extends CheckpointCommitter<TileCommittable> {
  /** What {@link OnlineWriter#writeTiles} answers for a version that is never served. */
  private static final long NEVER_SERVED = -1;

  /** The {@code CLIENT SETNAME} of the tile committers' connections. */
  static final String CLIENT_NAME = "freshet-tile-sink";

  private static final OnlineClients.Settings CLIENT =
      new OnlineClients.Settings(Duration.ofSeconds(10), Duration.ofSeconds(5), CLIENT_NAME, false);

  private final OnlineWriter online;
  private final OfflineTileWriter offline;
  private final int tilesPerScript;

  TileCommitter(
      ViewPlan plan,
      String redisUri,
      String jdbcUrl,
      int tilesPerScript,
      int tilesPerStatement,
      Backoff backoff,
      Duration markerRetention) {
    super(
        Store.TILES,
        (redisUri == null ? "" : "Redis " + StoreUrls.redact(redisUri) + " and ")
            + "tile table "
            + TileTable.of(plan).qualifiedName(),
        RowCommittable.viewOf(plan),
        backoff,
        "tiles",
        TileCommitter.class);
    this.online = redisUri == null ? null : OnlineWriter.create(plan, redisUri, CLIENT);
    this.offline =
        new OfflineTileWriter(TileTable.of(plan), jdbcUrl, tilesPerStatement, markerRetention);
    this.tilesPerScript = tilesPerScript;
  }

  @Override
  protected Outcome apply(TileCommittable committable) throws Exception {
    SinkCommits.Marker marker = marker(committable.id());
    if (offline.hasMarker(marker)) {
      return Outcome.ALREADY_COMMITTED;
    }
    long[] visible;
    if (online == null) {
      visible = new long[committable.tiles().size()];
      Arrays.fill(visible, NEVER_SERVED);
    } else {
      visible = online.writeTiles(committable.tiles(), tilesPerScript);
    }
    reached(Point.MID_APPLY, committable);
    OfflineWriter.Outcome outcome =
        offline.apply(
            committable.tiles(),
            visible,
            marker,
            new OfflineWriter.Progress() {
              @Override
              public void beforeBatch() throws InterruptedException {
                if (Thread.currentThread().isInterrupted()) {
                  throw new InterruptedException("interrupted while committing " + committable);
                }
              }

              @Override
              public void halfWritten() {}
            });
    return switch (outcome) {
      case APPLIED -> Outcome.APPLIED;
      case ALREADY_COMMITTED -> Outcome.ALREADY_COMMITTED;
    };
  }

  static SinkCommits.Marker marker(CommitId id) {
    return new SinkCommits.Marker(id.jobId(), id.subtask(), id.checkpointId(), id.writerId());
  }

  @Override
  protected boolean isTransient(Exception e) {
    return OnlineStoreErrors.isStoreFailure(e)
        ? OnlineStoreErrors.isTransient(e)
        : OfflineTileWriter.isTransient(e);
  }

  @Override
  protected String explain(Exception e) {
    if (OnlineStoreErrors.isStoreFailure(e)) {
      return "online store: " + OnlineStoreErrors.explain(e);
    }
    return "offline store: " + offline.explain(e);
  }

  @Override
  protected void discardConnection() {
    if (online != null) {
      online.disconnect();
    }
    offline.discardConnection();
  }

  @Override
  public void close() throws IOException {
    try {
      if (online != null) {
        online.close();
      }
    } finally {
      offline.close();
    }
  }
}
