package io.freshet.offline;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;

/**
 * What {@link OfflineWriter} and {@link OfflineTileWriter} share: a connection opened when first
 * needed (creating the target's tables then if they are missing), one transaction per committable
 * guarded by its commit marker ({@link SinkCommits}), the purge of old markers every ten minutes,
 * and the classification and explanation of errors. Not thread-safe; one per writer.
 */
final class MarkedTransactions implements AutoCloseable {
  /** SQLStates worth waiting for besides connection (08) and resource (53) errors. */
  private static final Set<String> TRANSIENT_STATES =
      Set.of(
          "40001", // serialization_failure
          "40P01", // deadlock_detected
          "55P03", // lock_not_available
          "57014", // query_canceled (statement timeout)
          "57P01", // admin_shutdown: the server is restarting
          "57P02", // crash_shutdown
          "57P03", // cannot_connect_now: the server is starting
          "58000", // system_error
          "58030"); // io_error

  private static final Duration PURGE_EVERY = Duration.ofMinutes(10);

  /** Creates the target's tables and the commit markers if they are missing. */
  interface TableSetup {
    void ensure(Connection c, DataSource schema) throws SQLException;
  }

  /** The writes of one committable, inside its transaction after the marker was claimed. */
  interface Writes {
    void write(Connection c) throws SQLException, IOException, InterruptedException;
  }

  private final String target;
  private final String qualifiedName;
  private final String jdbcUrl;
  private final Duration markerRetention;
  private final TableSetup setup;
  private final Logger log;
  private Connection connection;
  private boolean tablesReady;
  private long nextPurge = System.nanoTime();

  /**
   * @param target the marker target, the table name without schema
   * @param qualifiedName the table's qualified name, for messages
   */
  MarkedTransactions(
      String target,
      String qualifiedName,
      String jdbcUrl,
      Duration markerRetention,
      TableSetup setup,
      Logger log) {
    this.target = Objects.requireNonNull(target, "target");
    this.qualifiedName = Objects.requireNonNull(qualifiedName, "qualifiedName");
    this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    this.markerRetention = Objects.requireNonNull(markerRetention, "markerRetention");
    this.setup = Objects.requireNonNull(setup, "setup");
    this.log = Objects.requireNonNull(log, "log");
  }

  /** Whether the committable with this marker is in. Claims nothing. */
  boolean hasMarker(SinkCommits.Marker marker) throws SQLException {
    Connection c = connection();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM "
                + SinkCommits.TABLE
                + " WHERE target = ? AND job_id = ? AND subtask = ? AND checkpoint_id = ?"
                + " AND writer_id = ?")) {
      ps.setString(1, target);
      ps.setString(2, marker.jobId());
      ps.setInt(3, marker.subtask());
      ps.setLong(4, marker.checkpointId());
      ps.setLong(5, marker.writerId());
      try (ResultSet rs = ps.executeQuery()) {
        boolean found = rs.next();
        c.commit();
        return found;
      }
    } catch (SQLException | RuntimeException e) {
      rollbackQuietly(c);
      throw e;
    }
  }

  /**
   * Claims the marker and runs {@code writes} in one transaction, or finds the marker and writes
   * nothing; purges old markers afterwards if that is due. On any error the transaction is rolled
   * back, so calling again is correct.
   *
   * @param count what the marker records as the committable's size
   */
  OfflineWriter.Outcome apply(SinkCommits.Marker marker, int count, Writes writes)
      throws SQLException, IOException, InterruptedException {
    Connection c = connection();
    try {
      if (!SinkCommits.claim(c, target, marker, count)) {
        c.rollback();
        return OfflineWriter.Outcome.ALREADY_COMMITTED;
      }
      writes.write(c);
      c.commit();
    } catch (Exception e) {
      rollbackQuietly(c);
      throw e;
    }
    purgeMarkersIfDue(c);
    return OfflineWriter.Outcome.APPLIED;
  }

  private void purgeMarkersIfDue(Connection c) {
    long now = System.nanoTime();
    if (now - nextPurge < 0) {
      return;
    }
    nextPurge = now + PURGE_EVERY.toNanos();
    try {
      int purged = SinkCommits.purge(c, target, markerRetention);
      c.commit();
      log.debug("purged {} commit markers of {}", purged, qualifiedName);
    } catch (SQLException e) {
      rollbackQuietly(c);
      log.warn("could not purge old commit markers of {}: {}", qualifiedName, e.toString());
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      Connection c = PostgresSessions.open(jdbcUrl, OfflineTable.WRITER_APPLICATION_NAME);
      try {
        c.setAutoCommit(false);
        if (!tablesReady) {
          setup.ensure(
              c, PostgresSessions.dataSource(jdbcUrl, OfflineTable.WRITER_APPLICATION_NAME));
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

  /** Whether an error may go away by waiting (a restart, a failover). */
  static boolean isTransient(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientException || t instanceof SQLRecoverableException) {
        return true;
      }
      if (t instanceof SQLException s && s.getSQLState() != null && !s.getSQLState().isEmpty()) {
        String state = s.getSQLState();
        return state.startsWith("08") || state.startsWith("53") || TRANSIENT_STATES.contains(state);
      }
      if (t instanceof SocketException
          || t instanceof SocketTimeoutException
          || t instanceof EOFException) {
        return true;
      }
    }
    return false;
  }

  /**
   * A sentence about a permanent error that says what to do.
   *
   * @param privileges the privileges the role needs on the target, e.g. {@code "SELECT, INSERT"}
   * @param layoutStates the SQLStates that mean the table has another layout
   * @param layoutHint the hint for those, starting with {@code "; "}
   */
  String explain(Exception e, String privileges, Set<String> layoutStates, String layoutHint) {
    String state = null;
    for (Throwable t = e; t != null && state == null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        state = s.getSQLState();
      }
    }
    String hint;
    if (state == null) {
      hint = "";
    } else if (layoutStates.contains(state)) {
      hint = layoutHint;
    } else {
      hint =
          switch (state) {
            case "42501" ->
                "; the role lacks a privilege: grant it "
                    + privileges
                    + " on "
                    + qualifiedName
                    + " and SELECT, INSERT, DELETE on "
                    + SinkCommits.TABLE
                    + ", or create both in advance";
            case "28000", "28P01" ->
                "; Postgres refused the login: check user and password of the JDBC URL";
            case "3D000" -> "; the database named in the JDBC URL does not exist";
            default -> "";
          };
    }
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    return message + (state == null ? "" : " (SQLState " + state + ")") + hint;
  }

  /** Drops the connection, so that the next transaction opens a new one. */
  void discardConnection() {
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
