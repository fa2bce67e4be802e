package io.freshet.flink.sink.offline;

import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.OfflineTable;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Writes a view's rows to its offline table in Postgres. Rows are buffered and upserted in one
 * transaction when Flink flushes the writer (at every checkpoint and at end of input), or when the
 * buffer is full. Upserts on (entity_key, feature_ts) make a replay after a restart idempotent.
 */
public final class PostgresOfflineSink implements Sink<FeatureRow> {
  private static final long serialVersionUID = 1L;

  private final ViewPlan plan;
  private final String jdbcUrl;
  private final int maxBufferedRows;

  public PostgresOfflineSink(ViewPlan plan, String jdbcUrl, int maxBufferedRows) {
    this.plan = plan;
    this.jdbcUrl = jdbcUrl;
    this.maxBufferedRows = maxBufferedRows;
  }

  @Override
  public SinkWriter<FeatureRow> createWriter(WriterInitContext context) throws IOException {
    return new Writer(OfflineTable.of(plan), jdbcUrl, maxBufferedRows);
  }

  /** Creates the offline table if needed; serialized by an advisory lock across writers. */
  public static void ensureTable(Connection c, OfflineTable table) throws SQLException {
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("SELECT pg_advisory_xact_lock(hashtext('freshet.ddl'))");
      for (String ddl : table.createStatements()) {
        s.execute(ddl);
      }
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  static final class Writer implements SinkWriter<FeatureRow> {
    private final OfflineTable table;
    private final String jdbcUrl;
    private final int maxBufferedRows;
    private final List<FeatureRow> buffer = new ArrayList<>();
    private Connection connection;

    Writer(OfflineTable table, String jdbcUrl, int maxBufferedRows) throws IOException {
      this.table = table;
      this.jdbcUrl = jdbcUrl;
      this.maxBufferedRows = maxBufferedRows;
      try {
        ensureTable(connection(), table);
      } catch (SQLException e) {
        throw new IOException(
            "could not create offline table " + table.qualifiedName() + " at " + safe(jdbcUrl), e);
      }
    }

    @Override
    public void write(FeatureRow row, Context context) throws IOException {
      buffer.add(row);
      if (buffer.size() >= maxBufferedRows) {
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
        try (PreparedStatement ps = c.prepareStatement(table.upsertStatement())) {
          for (FeatureRow row : buffer) {
            bind(ps, row);
            ps.addBatch();
          }
          ps.executeBatch();
          c.commit();
        } catch (SQLException e) {
          rollbackQuietly(c);
          throw e;
        }
        buffer.clear();
      } catch (SQLException e) {
        closeQuietly();
        throw new IOException(
            "could not write "
                + buffer.size()
                + " rows to "
                + table.qualifiedName()
                + " at "
                + safe(jdbcUrl),
            e);
      }
    }

    private void bind(PreparedStatement ps, FeatureRow row) throws SQLException {
      ps.setString(1, row.entityKey());
      ps.setTimestamp(2, new Timestamp(row.featureTs()));
      Object[] values = row.values();
      var parts = table.plan().parts();
      for (int i = 0; i < values.length; i++) {
        Object v = values[i];
        int idx = i + 3;
        switch (parts.get(i).type()) {
          case INT64 -> {
            if (v == null) {
              ps.setNull(idx, Types.BIGINT);
            } else {
              ps.setLong(idx, ((Number) v).longValue());
            }
          }
          case FLOAT64 -> {
            if (v == null) {
              ps.setNull(idx, Types.DOUBLE);
            } else {
              ps.setDouble(idx, ((Number) v).doubleValue());
            }
          }
          case STRING -> ps.setString(idx, v == null ? null : v.toString());
          case STRING_LIST -> {
            if (v == null) {
              ps.setNull(idx, Types.ARRAY);
            } else {
              ps.setArray(
                  idx,
                  ps.getConnection()
                      .createArrayOf(
                          "text", ((List<?>) v).stream().map(String::valueOf).toArray()));
            }
          }
        }
      }
    }

    private Connection connection() throws SQLException {
      if (connection == null || connection.isClosed()) {
        connection = DriverManager.getConnection(jdbcUrl);
        connection.setAutoCommit(false);
      }
      return connection;
    }

    private static void rollbackQuietly(Connection c) {
      try {
        c.rollback();
      } catch (SQLException ignored) {
        // the connection is replaced on the next attempt
      }
    }

    private void closeQuietly() {
      try {
        if (connection != null) {
          connection.close();
        }
      } catch (SQLException ignored) {
        // already broken
      }
      connection = null;
    }

    @Override
    public void close() {
      closeQuietly();
    }
  }

  /** A JDBC URL without its password, for messages. */
  static String safe(String url) {
    return url.replaceAll("(?i)(password=)[^&]*", "$1***");
  }
}
