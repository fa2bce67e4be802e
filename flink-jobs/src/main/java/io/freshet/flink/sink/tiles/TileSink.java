package io.freshet.flink.sink.tiles;

import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.CheckpointSink;
import io.freshet.flink.sink.CommitId;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.offline.PostgresSessions;
import io.freshet.offline.TileTable;
import io.freshet.online.OnlineClients;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.StoreUrls;
import io.freshet.storage.Tile;
import java.time.Duration;
import java.util.Objects;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.util.function.SerializableSupplier;

/**
 * Writes the tiles of a request-time view exactly once to both stores, driven by Flink's
 * checkpoints (Sink V2 with a committer), as {@link io.freshet.flink.sink.ExactlyOnceRowSink} does
 * for rows:
 *
 * <ol>
 *   <li>The writer keeps, per (entity, tile start), the newest version that arrives between two
 *       checkpoints ({@link CheckpointTileWriter}) and hands them over at the barrier as one {@link
 *       TileCommittable}.
 *   <li>A step chained behind the writer stamps each committable with its checkpoint id.
 *   <li>When the checkpoint completes, the {@link TileCommitter} writes the tiles online, then
 *       offline with the instants the online store serves them from, and the commit marker.
 * </ol>
 *
 * <p>The sink needs a uid. Memory: a writer holds one checkpoint interval of changed tiles.
 */
public final class TileSink extends CheckpointSink<Tile, TileCommittable> {
  private static final long serialVersionUID = 1L;

  /** Tiles per online script call. */
  public static final int DEFAULT_TILES_PER_SCRIPT = 100;

  /** Tiles per offline batch statement. */
  public static final int DEFAULT_TILES_PER_STATEMENT = 2_000;

  /** How long offline commit markers are kept. */
  public static final Duration DEFAULT_MARKER_RETENTION = Duration.ofDays(7);

  private final ViewPlan plan;
  private final String redisUri;
  private final String jdbcUrl;
  private final int tilesPerScript;
  private final int tilesPerStatement;
  private final Backoff backoff;
  private final Duration markerRetention;

  private TileSink(
      ViewPlan plan,
      String redisUri,
      String jdbcUrl,
      int tilesPerScript,
      int tilesPerStatement,
      Backoff backoff,
      Duration markerRetention) {
    this.plan = Objects.requireNonNull(plan, "plan");
    TileTable.of(plan); // refuses a window-end view
    this.redisUri = redisUri;
    this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    try {
      if (redisUri != null) {
        OnlineClients.requireValid(redisUri);
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "tile sink of "
              + plan.name()
              + " needs a Redis URI (redis://host:6379/0), got '"
              + StoreUrls.redact(redisUri)
              + "': "
              + e.getMessage(),
          e);
    }
    if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "tile sink of "
              + plan.name()
              + " needs a Postgres JDBC URL (jdbc:postgresql://host:5432/db?user=...), got '"
              + PostgresSessions.safe(jdbcUrl)
              + "'");
    }
    if (tilesPerScript < 1 || tilesPerStatement < 1) {
      throw new IllegalArgumentException(
          "tiles per script call and per statement must be at least 1, got "
              + tilesPerScript
              + " and "
              + tilesPerStatement
              + " (e.g. 100 and 2000)");
    }
    if (markerRetention.toSeconds() < 1) {
      throw new IllegalArgumentException(
          "commit marker retention must be at least 1 s, got " + markerRetention + " (e.g. P7D)");
    }
    this.tilesPerScript = tilesPerScript;
    this.tilesPerStatement = tilesPerStatement;
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.markerRetention = markerRetention;
  }

  /** A sink committing at checkpoints with default batch sizes, retries and marker retention. */
  public static TileSink exactlyOnce(ViewPlan plan, String redisUri, String jdbcUrl) {
    return new TileSink(
        plan,
        redisUri,
        jdbcUrl,
        DEFAULT_TILES_PER_SCRIPT,
        DEFAULT_TILES_PER_STATEMENT,
        Backoff.DEFAULT,
        DEFAULT_MARKER_RETENTION);
  }

  /**
   * A sink of tile history only, for a backfill: every version goes to the tile table with no
   * visibility instant ({@code visible_at} NULL), since no online store ever served it; nothing is
   * written online.
   */
  public static TileSink historyOnly(ViewPlan plan, String jdbcUrl) {
    return new TileSink(
        plan,
        null,
        jdbcUrl,
        DEFAULT_TILES_PER_SCRIPT,
        DEFAULT_TILES_PER_STATEMENT,
        Backoff.DEFAULT,
        DEFAULT_MARKER_RETENTION);
  }

  /** The same sink with other batch sizes. */
  public TileSink withBatches(int perScript, int perStatement) {
    return new TileSink(plan, redisUri, jdbcUrl, perScript, perStatement, backoff, markerRetention);
  }

  /** The same sink with other retries of transient errors. */
  public TileSink withRetries(Backoff retries) {
    return new TileSink(
        plan, redisUri, jdbcUrl, tilesPerScript, tilesPerStatement, retries, markerRetention);
  }

  public ViewPlan plan() {
    return plan;
  }

  @Override
  protected SinkWriter<Tile> newWriter(CommitId id) {
    return new CheckpointTileWriter(RowCommittable.viewOf(plan), id);
  }

  @Override
  public Committer<TileCommittable> createCommitter(CommitterInitContext context) {
    return new TileCommitter(
        plan, redisUri, jdbcUrl, tilesPerScript, tilesPerStatement, backoff, markerRetention);
  }

  @Override
  protected SerializableSupplier<SimpleVersionedSerializer<TileCommittable>>
      committableSerializers() {
    return TileCommittableSerializer::new;
  }
}
