package io.freshet.offline;

import io.freshet.storage.Tile;
import java.io.IOException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
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
 * <p>The committer writes online first and passes the stamps the online write returned, so that
 * {@code visible_at} is the instant from which the gateway could serve the version.
 */
public final class OfflineTileWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OfflineTileWriter.class);
  private static final Duration PURGE_EVERY = Duration.ofMinutes(10);

  private final TileTable table;
  private final String jdbcUrl;
  private final int tilesPerStatement;
  private final Duration markerRetention;
  private Connection connection;
  private boolean tablesReady;
  private long nextPurge = System.nanoTime();

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
    this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    if (tilesPerStatement < 1) {
      throw new IllegalArgumentException(
          "tiles per statement must be at least 1, got " + tilesPerStatement);
    }
    this.tilesPerStatement = tilesPerStatement;
    this.markerRetention = Objects.requireNonNull(markerRetention, "markerRetention");
  }

  /** Whether the committable with this marker is in. Claims nothing. */
  public boolean hasMarker(SinkCommits.Marker marker) throws Exception {
    Connection c = connection();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM "
                + SinkCommits.TABLE
                + " WHERE target = ? AND job_id = ? AND subtask = ? AND checkpoint_id = ?"
                + " AND writer_id = ?")) {
      ps.setString(1, table.tableName());
      ps.setString(2, marker.jobId());
      ps.setInt(3, marker.subtask());
      ps.setLong(4, marker.checkpointId());
      ps.setLong(5, marker.writerId());
      try (ResultSet rs = ps.executeQuery()) {
        boolean found = rs.next();
        c.commit();
        return found;
      }
    } catch (Exception e) {
      rollbackQuietly(c);
      throw e;
    }
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
    Connection c = connection();
    try {
      if (!SinkCommits.claim(c, table.tableName(), marker, tiles.size())) {
        c.rollback();
        return OfflineWriter.Outcome.ALREADY_COMMITTED;
      }
      writeTiles(c, tiles, visibleMicros, progress);
      c.commit();
    } catch (Exception e) {
      rollbackQuietly(c);
      throw e;
    }
    purgeMarkersIfDue(c);
    return OfflineWriter.Outcome.APPLIED;
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

  private void purgeMarkersIfDue(Connection c) {
    long now = System.nanoTime();
    if (now - nextPurge < 0) {
      return;
    }
    nextPurge = now + PURGE_EVERY.toNanos();
    try {
      int purged = SinkCommits.purge(c, table.tableName(), markerRetention);
      c.commit();
      LOG.debug("purged {} commit markers of {}", purged, table.qualifiedName());
    } catch (SQLException e) {
      rollbackQuietly(c);
      LOG.warn("could not purge old commit markers of {}: {}", table.qualifiedName(), e.toString());
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      Connection c = PostgresSessions.open(jdbcUrl, OfflineTable.WRITER_APPLICATION_NAME);
      try {
        c.setAutoCommit(false);
        if (!tablesReady) {
          OfflineTables.ensure(
              c, table, PostgresSessions.dataSource(jdbcUrl, OfflineTable.WRITER_APPLICATION_NAME));
          tablesReady = true;
        }
      } catch (SQLException e) {
        closeQuietly(c);
        throw e;
      }
      connection = c;
    }
    return connection;
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
    String state = null;
    for (Throwable t = e; t != null && state == null; t = t.getCause()) {
      if (t instanceof java.sql.SQLException s) {
        state = s.getSQLState();
      }
    }
    String hint =
        state == null
            ? ""
            : switch (state) {
              case "42501" ->
                  "; the role lacks a privilege: grant it SELECT, INSERT on "
                      + table.qualifiedName()
                      + " and SELECT, INSERT, DELETE on "
                      + SinkCommits.TABLE
                      + ", or create both in advance";
              case "28000", "28P01" ->
                  "; Postgres refused the login: check user and password of the JDBC URL";
              case "3D000" -> "; the database named in the JDBC URL does not exist";
              case "42P01", "42703", "55000" ->
                  "; the tile table does not have the layout of this Freshet version (see"
                      + " TileTable.createStatements())";
              default -> "";
            };
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    return message + (state == null ? "" : " (SQLState " + state + ")") + hint;
  }

  /** Drops the connection, so that the next {@link #apply} opens a new one. */
  public void discardConnection() {
    closeQuietly(connection);
    connection = null;
  }

  @Override
  public void close() {
    discardConnection();
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection is broken; it is discarded before the next attempt
    }
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException ignored) {
      // already broken
    }
  }
}
