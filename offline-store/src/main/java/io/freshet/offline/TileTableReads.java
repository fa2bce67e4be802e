package io.freshet.offline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The few reads of a request-time view's tile history ({@link TileTable}) that the tools need
 * beside {@code OfflineSession.forEachNewestTile}: a random sample of its entities, and how many
 * versions it holds. One session; failures are {@link OfflineStoreException}s.
 */
public final class TileTableReads implements AutoCloseable {
  private final Connection c;

  private TileTableReads(Connection c) {
    this.c = c;
  }

  /**
   * How many tile versions a tile table holds.
   *
   * @param versions every stored version
   * @param neverServed those the online store never served ({@code visible_at} null): written by a
   *     backfill, or replaced online by a newer version before they could be read
   */
  public record Counts(long versions, long neverServed) {
    public static final Counts NONE = new Counts(0, 0);
  }

  private static OfflineStoreException failure(SQLException e) {
    return new OfflineStoreException(e.getMessage(), e.getSQLState(), e);
  }

  /** Opens a session for these reads (auto-commit; no limit on how long a statement reads). */
  public static TileTableReads open(String jdbcUrl, String applicationName) {
    try {
      return new TileTableReads(PostgresSessions.open(jdbcUrl, applicationName, Duration.ZERO));
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  @Override
  public void close() {
    try {
      c.close();
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  /** True when the table exists. */
  public boolean exists(TileTable table) {
    try (PreparedStatement s = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      s.setString(1, table.qualifiedName());
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  /** Up to {@code sample} distinct entity keys of the table, drawn at random. */
  public List<String> sampleEntities(TileTable table, int sample) {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT entity_key FROM (SELECT DISTINCT entity_key FROM "
                + table.qualifiedName()
                + ") e ORDER BY random() LIMIT ?")) {
      ps.setInt(1, sample);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    } catch (SQLException e) {
      throw failure(e);
    }
    return out;
  }

  /** The versions the table holds; {@link Counts#NONE} for a table that does not exist. */
  public Counts counts(TileTable table) {
    if (!exists(table)) {
      return Counts.NONE;
    }
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(*), count(*) FILTER (WHERE visible_at IS NULL) FROM "
                    + table.qualifiedName());
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return new Counts(rs.getLong(1), rs.getLong(2));
    } catch (SQLException e) {
      throw failure(e);
    }
  }
}
