package io.freshet.offline;

import io.freshet.storage.FeatureRow;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * A tool's session with the offline tables (verify, restore, the commands' checks): reads through
 * {@link OfflineReader} and tells whether a table exists and how many versions it holds, with no
 * limit on how long a statement reads. Errors come as {@link OfflineStoreException}. Not
 * thread-safe.
 */
public final class OfflineSession implements AutoCloseable {
  private final Connection connection;

  private OfflineSession(Connection connection) {
    this.connection = connection;
  }

  /**
   * Opens a session.
   *
   * @param jdbcUrl {@code jdbc:postgresql://host:5432/db?user=...}
   * @param applicationName the session's {@code application_name}
   * @throws IllegalArgumentException if the URL is not a Postgres JDBC URL
   * @throws OfflineStoreException if Postgres cannot be reached or refuses the session
   */
  public static OfflineSession open(String jdbcUrl, String applicationName) {
    try {
      return new OfflineSession(PostgresSessions.open(jdbcUrl, applicationName, Duration.ZERO));
    } catch (SQLException e) {
      throw OfflineStoreException.of(e);
    }
  }

  /** True when the table exists. */
  public boolean exists(OfflineTable table) {
    try {
      return OfflineTables.exists(connection, table);
    } catch (SQLException e) {
      throw OfflineStoreException.of(e);
    }
  }

  /** The row versions of a table; zero for a table that does not exist. */
  public OfflineTables.VersionCounts counts(OfflineTable table) {
    try {
      return OfflineTables.counts(connection, table);
    } catch (SQLException e) {
      throw OfflineStoreException.of(e);
    }
  }

  /** The entity's latest current row, or null if it has none. */
  public FeatureRow latestCurrentRow(OfflineTable table, String entity) {
    try {
      return new OfflineReader(connection, table).latestCurrentRow(entity);
    } catch (SQLException e) {
      throw OfflineStoreException.of(e);
    }
  }

  /** Up to {@code sample} distinct entity keys, drawn at random. */
  public List<String> sampleEntities(OfflineTable table, int sample) {
    try {
      return new OfflineReader(connection, table).sampleEntities(sample);
    } catch (SQLException e) {
      throw OfflineStoreException.of(e);
    }
  }

  /**
   * Streams, in one read-only transaction, the latest current row of every entity whose window
   * ended after {@code after}, {@code fetchSize} rows per round trip. What {@code handler} throws
   * ends the stream and is thrown as it is.
   */
  public void forEachLatestCurrentRow(
      OfflineTable table, Instant after, int fetchSize, Consumer<FeatureRow> handler) {
    try {
      connection.setAutoCommit(false);
      new OfflineReader(connection, table)
          .forEachLatestCurrentRow(after, fetchSize, handler::accept);
      connection.commit();
    } catch (SQLException e) {
      throw OfflineStoreException.of(e);
    }
  }

  /** True when the tile table exists. */
  public boolean exists(TileTable table) {
    try {
      return OfflineTables.exists(connection, table);
    } catch (SQLException e) {
      throw OfflineStoreException.of(e);
    }
  }

  /**
   * Streams, in one transaction, every version of the tiles of {@code entities} (all when null) as
   * {@link TileHistory#versions} does, as committed up to {@code asOf} (everything when null). What
   * {@code handler} throws ends the stream and is thrown as it is.
   */
  public void forEachTileVersion(
      TileTable table,
      Instant asOf,
      java.util.Collection<String> entities,
      Consumer<TileHistory.Version> handler) {
    tiles(TileHistory.select(table, asOf, entities != null, false), asOf, entities, handler);
  }

  /**
   * Streams, in one transaction, the newest version of every tile of {@code entities} (all when
   * null) as {@link TileHistory#newestVersions} does.
   */
  public void forEachNewestTile(
      TileTable table,
      Instant asOf,
      java.util.Collection<String> entities,
      Consumer<TileHistory.Version> handler) {
    tiles(TileHistory.select(table, asOf, entities != null, true), asOf, entities, handler);
  }

  private void tiles(
      String sql,
      Instant asOf,
      java.util.Collection<String> entities,
      Consumer<TileHistory.Version> handler) {
    try {
      Transactions.inTransaction(
          connection,
          () -> {
            TileHistory.run(connection, sql, asOf, entities, handler);
            return null;
          });
    } catch (SQLException e) {
      throw OfflineStoreException.of(e);
    }
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      throw OfflineStoreException.of(e);
    }
  }
}
