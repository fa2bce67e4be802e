package io.freshet.offline;

import io.freshet.storage.Tile;
import java.io.IOException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of a request-time view's tile history ({@link TileTable}): the tile versions of
 * one committable and its marker in one transaction, each version with the instant the online store
 * could first serve it. Not thread-safe; one per committer.
 *
 * <p>It works as {@link OfflineWriter} does: it opens its connection when first needed and creates
 * the tile table and the commit markers then if they are missing; one transaction per committable,
 * the marker first ({@link SinkCommits#claim}, target {@link TileTable#tableName()}), then the
 * versions in batch statements ({@link TileTable#insertStatement()}), then COMMIT; a marker already
 * there means the versions are in and nothing is written; old markers are purged every ten minutes.
 * A version already stored (a replay after a restore, whose online write returned the same stamp)
 * is left as it is.
 *
 * <p>Versions are written in one order, by entity key, tile start, then version, whatever order the
 * committable holds them in: two transactions that insert the same versions (a replay next to the
 * live commit, two jobs writing the same view version) then wait for each other at most, and never
 * deadlock; see {@link OfflineWriter}.
 *
 * <p>The committer writes online first and passes the stamps the online write returned, so that
 * {@code visible_at} is the instant from which the gateway could serve the version.
 */
public final class OfflineTileWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OfflineTileWriter.class);
  private static final Set<String> LAYOUT_STATES = Set.of("42P01", "42703", "55000");

  private final TileTable table;
  private final int tilesPerStatement;
  private final MarkedTransactions transactions;

  /**
   * A writer of {@code table}; it connects when first used.
   *
   * @param jdbcUrl {@code jdbc:postgresql://host:5432/db?user=...}
   * @param tilesPerStatement tile versions per batch statement inside a commit
   * @param markerRetention how long commit markers are kept
   */
  public OfflineTileWriter(
      TileTable table, String jdbcUrl, int tilesPerStatement, Duration markerRetention) {
    this.table = Objects.requireNonNull(table, "table");
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    if (tilesPerStatement < 1) {
      throw new IllegalArgumentException(
          "tiles per statement must be at least 1, got " + tilesPerStatement);
    }
    this.tilesPerStatement = tilesPerStatement;
    this.transactions =
        new MarkedTransactions(
            table.tableName(),
            table.qualifiedName(),
            jdbcUrl,
            markerRetention,
            (c, schema) -> OfflineTables.ensure(c, table, schema),
            LOG);
  }

  /** Whether the committable with this marker is in. Claims nothing. */
  public boolean hasMarker(SinkCommits.Marker marker) throws Exception {
    return transactions.hasMarker(marker);
  }

  /**
   * Writes the tile versions and the marker in one transaction, or finds the marker and writes
   * nothing. A version already stored is left as it is. On any error the transaction is rolled
   * back, so calling again is correct.
   *
   * @param visibleMicros per tile, the epoch microseconds from which the online store served it
   *     ({@code OnlineWriter.writeTiles}), or -1 for a version never served
   * @throws IllegalArgumentException if {@code visibleMicros} does not have one entry per tile
   */
  public OfflineWriter.Outcome apply(
      List<Tile> tiles,
      long[] visibleMicros,
      SinkCommits.Marker marker,
      OfflineWriter.Progress progress)
      throws Exception {
    if (visibleMicros.length != tiles.size()) {
      throw new IllegalArgumentException(
          tiles.size()
              + " tiles but "
              + visibleMicros.length
              + " visibility instants for "
              + table.qualifiedName()
              + "; give one per tile, -1 for a version never served");
    }
    int[] order = LockOrder.ofTiles(tiles);
    List<Tile> sorted = new ArrayList<>(tiles.size());
    long[] sortedVisible = new long[tiles.size()];
    for (int i = 0; i < order.length; i++) {
      sorted.add(tiles.get(order[i]));
      sortedVisible[i] = visibleMicros[order[i]];
    }
    return transactions.apply(
        marker, tiles.size(), c -> writeTiles(c, sorted, sortedVisible, progress));
  }

  private void writeTiles(
      Connection c, List<Tile> tiles, long[] visibleMicros, OfflineWriter.Progress progress)
      throws SQLException, IOException, InterruptedException {
    int batches = (tiles.size() + tilesPerStatement - 1) / tilesPerStatement;
    int half = (batches + 1) / 2;
    try (PreparedStatement insert = c.prepareStatement(table.insertStatement())) {
      for (int b = 0; b < batches; b++) {
        progress.beforeBatch();
        int from = b * tilesPerStatement;
        int to = Math.min(tiles.size(), from + tilesPerStatement);
        int n = to - from;
        String[] keys = new String[n];
        Long[] starts = new Long[n];
        Long[] versions = new Long[n];
        byte[][] payloads = new byte[n][];
        Long[] visible = new Long[n];
        for (int i = 0; i < n; i++) {
          Tile t = tiles.get(from + i);
          keys[i] = t.entityKey();
          starts[i] = t.start();
          versions[i] = t.version();
          payloads[i] = t.payload();
          long v = visibleMicros[from + i];
          if (v < -1) {
            throw new IllegalArgumentException(
                "visibility instant " + v + " of " + t + ": epoch microseconds, or -1");
          }
          visible[i] = v == -1 ? null : v;
        }
        Array[] columns = {
          c.createArrayOf("text", keys),
          c.createArrayOf("int8", starts),
          c.createArrayOf("int8", versions),
          c.createArrayOf("bytea", payloads),
          c.createArrayOf("int8", visible)
        };
        try {
          for (int i = 0; i < columns.length; i++) {
            insert.setArray(i + 1, columns[i]);
          }
          insert.executeUpdate();
        } finally {
          for (Array a : columns) {
            a.free();
          }
        }
        if (b + 1 == half) {
          progress.halfWritten();
        }
      }
    }
  }

  /**
   * Whether an error of {@link #apply} or {@link #hasMarker} may go away by waiting (a restart, a
   * failover); the same errors as {@link OfflineWriter#isTransient}.
   */
  public static boolean isTransient(Exception e) {
    return OfflineWriter.isTransient(e);
  }

  /** A sentence about a permanent error of {@link #apply} that says what to do. */
  public String explain(Exception e) {
    return transactions.explain(
        e,
        "SELECT, INSERT",
        LAYOUT_STATES,
        "; the tile table does not have the layout of this Freshet version (see"
            + " TileTable.createStatements())");
  }

  /** Drops the connection, so that the next {@link #apply} opens a new one. */
  public void discardConnection() {
    transactions.discardConnection();
  }

  @Override
  public void close() {
    discardConnection();
  }
}
