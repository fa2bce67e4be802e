package io.freshet.flink.sink.rejected;

import io.freshet.flink.source.RejectedEvent;
import io.freshet.offline.FreshetSchema;
import io.freshet.offline.PostgresSessions;
import io.freshet.offline.RejectedEvents;
import io.freshet.offline.RejectedEventsWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.apache.flink.connector.jdbc.JdbcExecutionOptions;
import org.apache.flink.connector.jdbc.JdbcStatementBuilder;
import org.apache.flink.connector.jdbc.core.datastream.sink.JdbcSink;
import org.apache.flink.connector.jdbc.datasource.connections.JdbcConnectionProvider;

/**
 * Keeps dead letters and late events in {@code freshet.rejected_events}, one row per event and
 * view, through the JDBC connector's at-least-once sink: rows are flushed in batches and at every
 * checkpoint, and a batch that fails is retried and then fails the job, which replays from the last
 * checkpoint. The origin ({@code topic/partition@offset}, or another unique name of the record) is
 * part of the table's key and the statement is {@code INSERT ... ON CONFLICT DO NOTHING}, so a
 * replay inserts nothing twice. Layout and statement in the offline store ({@link RejectedEvents});
 * the table comes from {@link FreshetSchema}, applied when the sink's first session finds no table.
 */
public final class PostgresRejectedEventsSink {
  /** The table holding rejected events. */
  public static final String TABLE = RejectedEvents.TABLE;

  /** The {@code application_name} of the sink's sessions. */
  public static final String APPLICATION_NAME = "freshet-rejected-events-sink";

  /** Rows per batch; a checkpoint flushes a smaller one. */
  static final int BATCH_SIZE = 1000;

  private PostgresRejectedEventsSink() {}

  /** The sink writing into the database {@code jdbcUrl} names. */
  public static JdbcSink<RejectedEvent> create(String jdbcUrl) {
    return JdbcSink.<RejectedEvent>builder()
        .withQueryStatement(RejectedEvents.INSERT, new Bind())
        .withExecutionOptions(
            JdbcExecutionOptions.builder()
                .withBatchSize(BATCH_SIZE)
                .withBatchIntervalMs(0)
                .withMaxRetries(3)
                .build())
        .buildAtLeastOnce(new Sessions(jdbcUrl));
  }

  /** Binds an event as the offline store stores it. */
  static final class Bind implements JdbcStatementBuilder<RejectedEvent> {
    private static final long serialVersionUID = 1L;

    @Override
    public void accept(PreparedStatement ps, RejectedEvent r) throws SQLException {
      RejectedEvents.bind(
          ps,
          new RejectedEventsWriter.Event(
              r.view, r.kind.name(), r.origin, r.reason, r.payload, r.eventTs));
    }
  }

  /**
   * Sessions opened through {@link PostgresSessions} (never {@code DriverManager}, which a job's
   * class loader hides the driver from), in auto-commit mode; the first one creates the table if
   * there is none.
   */
  static final class Sessions implements JdbcConnectionProvider {
    private static final long serialVersionUID = 1L;
    private final String jdbcUrl;
    private transient Connection connection;
    private transient boolean tableChecked;

    Sessions(String jdbcUrl) {
      this.jdbcUrl = jdbcUrl;
    }

    @Override
    public Connection getConnection() {
      return connection;
    }

    @Override
    public boolean isConnectionValid() throws SQLException {
      return connection != null && connection.isValid(10);
    }

    @Override
    public Connection getOrEstablishConnection() throws SQLException {
      if (connection != null) {
        return connection;
      }
      Connection c = PostgresSessions.open(jdbcUrl, APPLICATION_NAME);
      try {
        if (!tableChecked) {
          RejectedEvents.ensureTable(c, PostgresSessions.dataSource(jdbcUrl, APPLICATION_NAME));
          tableChecked = true;
        }
      } catch (SQLException | RuntimeException e) {
        c.close();
        throw e;
      }
      connection = c;
      return c;
    }

    @Override
    public void closeConnection() {
      if (connection != null) {
        try {
          connection.close();
        } catch (SQLException ignored) {
          // already broken
        }
        connection = null;
      }
    }

    @Override
    public Connection reestablishConnection() throws SQLException {
      closeConnection();
      return getOrEstablishConnection();
    }
  }
}
