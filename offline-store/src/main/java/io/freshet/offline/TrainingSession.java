package io.freshet.offline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * A session of the training-set builder, whose text output is pinned: values that reach a training
 * set (label columns of a table, feature values) are rendered by Postgres in text, and that text is
 * checksummed, so every setting that changes it is fixed here rather than taken from the server's
 * or role's defaults. Reads wait for the server as long as a statement takes.
 *
 * <p>Opened in auto-commit mode; {@link #begin} starts a transaction that {@link #commit} or {@link
 * #rollback} ends. The statements that run in it belong to the store classes that take a session
 * ({@link AsOfScan}, {@link LabelTables}, {@link OutputTables}, {@link TrainingSetTables}). Not
 * thread-safe: one session per thread.
 */
public final class TrainingSession implements AutoCloseable {
  /** The {@code application_name} of the builder's sessions. */
  public static final String APPLICATION_NAME = "freshet-training";

  private final Connection connection;
  private CopyManager copy;

  private TrainingSession(Connection connection) {
    this.connection = connection;
  }

  /**
   * Opens a session on the database at {@code jdbcUrl} (credentials as URL parameters).
   *
   * @throws IllegalArgumentException if the URL is not a Postgres JDBC URL
   * @throws OfflineStoreException if Postgres cannot be reached or refuses the session
   */
  public static TrainingSession open(String jdbcUrl) throws OfflineStoreException {
    try {
      Connection c = PostgresSessions.open(jdbcUrl, APPLICATION_NAME, Duration.ZERO);
      try (Statement s = c.createStatement()) {
        s.execute(
            "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';"
                + " SET extra_float_digits = 1; SET bytea_output = 'hex';"
                + " SET application_name = '"
                + APPLICATION_NAME
                + "'");
      } catch (SQLException e) {
        c.close();
        throw e;
      }
      return new TrainingSession(c);
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /**
   * Brings the tables of schema {@code freshet}, the manifests' among them, up to date ({@link
   * FreshetSchema}).
   *
   * @throws IllegalArgumentException if the URL is not a Postgres JDBC URL
   */
  public static void migrate(String jdbcUrl) throws OfflineStoreException {
    try {
      FreshetSchema.migrate(jdbcUrl, APPLICATION_NAME);
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /** Starts a transaction. */
  public void begin() throws OfflineStoreException {
    try {
      connection.setAutoCommit(false);
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /** Starts a read-only transaction. */
  public void beginReadOnly() throws OfflineStoreException {
    try {
      connection.setAutoCommit(false);
      connection.setReadOnly(true);
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /** Commits the transaction. */
  public void commit() throws OfflineStoreException {
    try {
      connection.commit();
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /** Rolls the transaction back. */
  public void rollback() throws OfflineStoreException {
    try {
      connection.rollback();
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /** Whether the offline table of {@code table} exists. */
  public boolean hasTable(OfflineTable table) throws OfflineStoreException {
    try {
      return OfflineTables.exists(connection, table);
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /** Whether the tile table of {@code table} exists. */
  public boolean hasTable(TileTable table) throws OfflineStoreException {
    try {
      return OfflineTables.exists(connection, table);
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /**
   * The latest time no writer can still commit offline rows behind ({@link
   * OfflineTable#stableAsOfQuery()}).
   */
  public Instant stableAsOf() throws OfflineStoreException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery(OfflineTable.stableAsOfQuery())) {
      rs.next();
      return rs.getObject(1, OffsetDateTime.class).toInstant();
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  @Override
  public void close() throws OfflineStoreException {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  // ---- for the store classes

  Connection connection() {
    return connection;
  }

  void execute(String sql) throws OfflineStoreException {
    try (Statement s = connection.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  boolean exists(String query, String parameter) throws OfflineStoreException {
    try (PreparedStatement ps = connection.prepareStatement(query)) {
      ps.setString(1, parameter);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  CopyInStream copyIn(String sql) throws OfflineStoreException {
    try {
      return new CopyInStream(copyManager().copyIn(sql));
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  CopyOutStream copyOut(String sql) throws OfflineStoreException {
    try {
      return new CopyOutStream(copyManager().copyOut(sql));
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  private CopyManager copyManager() throws SQLException {
    if (copy == null) {
      copy = connection.unwrap(PGConnection.class).getCopyAPI();
    }
    return copy;
  }
}
