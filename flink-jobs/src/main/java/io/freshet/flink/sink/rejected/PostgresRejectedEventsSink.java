package io.freshet.flink.sink.rejected;

import io.freshet.flink.source.RejectedEvent;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Keeps dead letters and late events in {@code freshet.rejected_events}, one row per event and
 * view. The origin ({@code topic/partition@offset}) is unique per record, so a replay after a
 * restart inserts nothing twice.
 */
public final class PostgresRejectedEventsSink implements Sink<RejectedEvent> {
  private static final long serialVersionUID = 1L;

  /** The table holding rejected events. */
  public static final String TABLE = "freshet.rejected_events";

  private static final String DDL =
      "CREATE TABLE IF NOT EXISTS "
          + TABLE
          + " (\n"
          + "  view_name text NOT NULL,\n"
          + "  kind text NOT NULL,\n"
          + "  origin text NOT NULL,\n"
          + "  reason text NOT NULL,\n"
          + "  payload text,\n"
          + "  event_ts timestamptz,\n"
          + "  received_at timestamptz NOT NULL DEFAULT now(),\n"
          + "  PRIMARY KEY (view_name, kind, origin)\n"
          + ")";

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
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_advisory_xact_lock(hashtext('freshet.ddl'))");
        s.execute("CREATE SCHEMA IF NOT EXISTS freshet");
        s.execute(DDL);
        c.commit();
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
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO "
                    + TABLE
                    + " (view_name, kind, origin, reason, payload, event_ts)"
                    + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
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
        // Not DriverManager: it hands out only drivers registered from the caller's class loader,
        // and on a session cluster a previous job's loader may have registered Postgres's
        // ("No suitable driver" on the first attempt of the next job).
        Connection c = new org.postgresql.Driver().connect(jdbcUrl, new Properties());
        if (c == null) {
          throw new SQLException(
              "the rejected-events URL is not a Postgres JDBC URL (jdbc:postgresql://host:5432/db)");
        }
        connection = c;
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
