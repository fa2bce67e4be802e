package io.freshet.offline;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * Writes rejected events into {@link RejectedEvents#TABLE}, a batch per transaction; a replayed
 * event is inserted once. Creates the table, through {@link FreshetSchema}, when it opens and finds
 * none. Not thread-safe; one per sink writer.
 */
public final class RejectedEventsWriter implements AutoCloseable {
  /**
   * One rejected event, as stored.
   *
   * @param view the view that could not use the event
   * @param kind why: malformed, late, ...
   * @param origin {@code topic/partition@offset}, or null if not known ({@code unknown} is stored)
   * @param reason what was wrong
   * @param payload the record, or null; NUL characters are dropped
   * @param eventTs the event time in epoch milliseconds, or null if it could not be read
   */
  public record Event(
      String view, String kind, String origin, String reason, String payload, Long eventTs) {}

  private final String jdbcUrl;
  private final String applicationName;
  private Connection connection;

  private RejectedEventsWriter(String jdbcUrl, String applicationName) {
    this.jdbcUrl = jdbcUrl;
    this.applicationName = applicationName;
  }

  /**
   * Connects and makes sure the table exists.
   *
   * @param applicationName the sessions' {@code application_name}
   * @throws IOException if Postgres cannot be reached or the table cannot be created
   */
  public static RejectedEventsWriter open(String jdbcUrl, String applicationName)
      throws IOException {
    RejectedEventsWriter w = new RejectedEventsWriter(jdbcUrl, applicationName);
    try {
      Connection c = w.connection();
      RejectedEvents.ensureTable(c, PostgresSessions.dataSource(jdbcUrl, applicationName));
      c.commit();
    } catch (SQLException e) {
      w.close();
      throw new IOException("could not prepare " + RejectedEvents.TABLE, e);
    }
    return w;
  }

  /**
   * Inserts the events in one transaction. On failure the connection is dropped; the next call
   * opens a new one.
   */
  public void write(List<Event> events) throws IOException {
    try {
      Connection c = connection();
      try (PreparedStatement ps = c.prepareStatement(RejectedEvents.INSERT)) {
        for (Event r : events) {
          RejectedEvents.bind(ps, r);
          ps.addBatch();
        }
        ps.executeBatch();
        c.commit();
      } catch (SQLException e) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // replaced below
        }
        throw e;
      }
    } catch (SQLException e) {
      close();
      throw new IOException("could not keep " + events.size() + " rejected events", e);
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = PostgresSessions.open(jdbcUrl, applicationName);
      connection.setAutoCommit(false);
    }
    return connection;
  }

  @Override
  public void close() {
    try {
      if (connection != null) {
        connection.close();
      }
    } catch (SQLException ignored) {
      // already broken
    }
    connection = null;
  }
}
