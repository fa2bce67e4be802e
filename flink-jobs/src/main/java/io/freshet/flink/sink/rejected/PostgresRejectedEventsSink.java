package io.freshet.flink.sink.rejected;

import io.freshet.flink.source.RejectedEvent;
import io.freshet.offline.FreshetSchema;
import io.freshet.offline.PostgresSessions;
import io.freshet.offline.RejectedEvents;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Keeps dead letters and late events in {@code freshet.rejected_events}, one row per event and
 * view. The origin ({@code topic/partition@offset}) is unique per record, so a replay after a
 * restart inserts nothing twice. Layout and statement in {@link RejectedEvents}; the table comes
 * from {@link FreshetSchema}, which the writer applies when it starts and finds no table.
 */
public final class PostgresRejectedEventsSink implements Sink<RejectedEvent> {
  private static final long serialVersionUID = 1L;

  /** The table holding rejected events. */
  public static final String TABLE = RejectedEvents.TABLE;

  /** The {@code application_name} of the sink's sessions. */
  public static final String APPLICATION_NAME = "freshet-rejected-events-sink";

  private final String jdbcUrl;

  public PostgresRejectedEventsSink(String jdbcUrl) {
    this.jdbcUrl = jdbcUrl;
  }

  @Override
  public SinkWriter<RejectedEvent> createWriter(WriterInitContext context) throws IOException {
    try {
      return new Writer(jdbcUrl);
    } catch (SQLException e) {
      throw new IOException("could not prepare " + TABLE, e);
    }
  }

  static final class Writer implements SinkWriter<RejectedEvent> {
    private final String jdbcUrl;
    private final List<RejectedEvent> buffer = new ArrayList<>();
    private Connection connection;

    Writer(String jdbcUrl) throws SQLException {
      this.jdbcUrl = jdbcUrl;
      Connection c = connection();
      try {
        RejectedEvents.ensureTable(c, PostgresSessions.dataSource(jdbcUrl, APPLICATION_NAME));
        c.commit();
      } catch (SQLException e) {
        close();
        throw e;
      }
    }

    @Override
    public void write(RejectedEvent r, Context context) throws IOException {
      buffer.add(r);
      if (buffer.size() >= 1000) {
        flush(false);
      }
    }

    @Override
    public void flush(boolean endOfInput) throws IOException {
      if (buffer.isEmpty()) {
        return;
      }
      try {
        Connection c = connection();
        try (PreparedStatement ps = c.prepareStatement(RejectedEvents.INSERT)) {
          for (RejectedEvent r : buffer) {
            ps.setString(1, r.view);
            ps.setString(2, r.kind.name());
            ps.setString(3, r.origin == null ? "unknown" : r.origin);
            ps.setString(4, r.reason);
            ps.setString(5, r.payload == null ? null : r.payload.replace("\u0000", ""));
            if (r.eventTs == null) {
              ps.setNull(6, Types.TIMESTAMP_WITH_TIMEZONE);
            } else {
              ps.setTimestamp(6, new Timestamp(r.eventTs));
            }
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
        buffer.clear();
      } catch (SQLException e) {
        close();
        throw new IOException("could not keep " + buffer.size() + " rejected events", e);
      }
    }

    private Connection connection() throws SQLException {
      if (connection == null || connection.isClosed()) {
        connection = PostgresSessions.open(jdbcUrl, APPLICATION_NAME);
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
}
