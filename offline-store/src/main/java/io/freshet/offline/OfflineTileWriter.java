package io.freshet.offline;

import io.freshet.storage.Tile;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The one writer of a request-time view's tile history ({@link TileTable}): the tile versions of
 * one committable and its marker in one transaction, each version with the instant the online store
 * could first serve it. Not thread-safe; one per committer.
 */
public final class OfflineTileWriter implements AutoCloseable {
  private final TileTable table;
  private final String jdbcUrl;
  private final int tilesPerStatement;
  private final Duration markerRetention;

  public OfflineTileWriter(
      TileTable table, String jdbcUrl, int tilesPerStatement, Duration markerRetention) {
    this.table = Objects.requireNonNull(table, "table");
    this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    this.tilesPerStatement = tilesPerStatement;
    this.markerRetention = Objects.requireNonNull(markerRetention, "markerRetention");
  }

  /** Whether the committable with this marker is in. */
  public boolean hasMarker(SinkCommits.Marker marker) throws Exception {
    throw new UnsupportedOperationException("not built yet");
  }

  /**
   * Writes the tile versions and the marker in one transaction, or finds the marker and writes
   * nothing. A version already stored is left as it is.
   *
   * @param visibleMicros per tile, the epoch microseconds from which the online store served it
   *     ({@code OnlineWriter.writeTiles}), or -1 for a version never served
   */
  public OfflineWriter.Outcome apply(
      List<Tile> tiles,
      long[] visibleMicros,
      SinkCommits.Marker marker,
      OfflineWriter.Progress progress)
      throws Exception {
    throw new UnsupportedOperationException("not built yet");
  }

  public void discardConnection() {}

  @Override
  public void close() {}
}
