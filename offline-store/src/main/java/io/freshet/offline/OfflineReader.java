package io.freshet.offline;

import io.freshet.plan.FeaturePart;
import io.freshet.storage.FeatureRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an offline table back into {@link FeatureRow}s, typed as the plan says: the latest rows,
 * the rows as of a commit time, one entity's history. Used by restore and verify of the online
 * store and by the commands; the training-set builder streams with {@link AsOfScan} instead.
 *
 * <p>Reads on the caller's connection, in the caller's transaction. Not thread-safe (as the
 * connection is not).
 */
public final class OfflineReader {
  private final Connection connection;
  private final OfflineTable table;
  private final List<FeaturePart> parts;

  /** A reader of {@code table} on {@code connection}. */
  public OfflineReader(Connection connection, OfflineTable table) {
    this.connection = connection;
    this.table = table;
    this.parts = table.plan().parts();
  }

  /** Receives rows one at a time, as they stream. */
  @FunctionalInterface
  public interface RowHandler {
    /** One row. */
    void accept(FeatureRow row) throws SQLException;
  }

  /** One version of a row, valid over {@code [committedAt, supersededAt)}. */
  public record Version(FeatureRow row, Instant committedAt, Instant supersededAt) {}

  /** The entity's latest current row, or null if it has none. */
  public FeatureRow latestCurrentRow(String entity) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(table.latestCurrentRowQuery())) {
      ps.setString(1, entity);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? read(rs) : null;
      }
    }
  }

  /**
   * Streams the latest current row of every entity whose window ended after {@code after}, {@code
   * fetchSize} rows per round trip (the connection must not be in auto-commit mode for that).
   */
  public void forEachLatestCurrentRow(Instant after, int fetchSize, RowHandler handler)
      throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement(table.latestCurrentRowPerEntityQuery())) {
      ps.setFetchSize(fetchSize);
      ps.setTimestamp(1, Timestamp.from(after));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          handler.accept(read(rs));
        }
      }
    }
  }

  /** The current version of every row, in no particular order. */
  public List<FeatureRow> currentRows() throws SQLException {
    return rows(
        "SELECT "
            + table.rowColumns()
            + " FROM "
            + table.qualifiedName()
            + " WHERE superseded_at IS NULL",
        null);
  }

  /** The version of every row that was current at commit time {@code asOf}. */
  public List<FeatureRow> rowsAsOf(Instant asOf) throws SQLException {
    return rows(
        "SELECT "
            + table.rowColumns()
            + " FROM "
            + table.qualifiedName()
            + " WHERE committed_at <= ? AND (superseded_at IS NULL OR superseded_at > ?)",
        asOf);
  }

  /** Every version of the entity's rows, oldest window first, per window oldest version first. */
  public List<Version> history(String entity) throws SQLException {
    List<Version> out = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement(table.historyQuery())) {
      ps.setString(1, entity);
      try (ResultSet rs = ps.executeQuery()) {
        int committed = parts.size() + 3;
        while (rs.next()) {
          Timestamp superseded = rs.getTimestamp(committed + 1);
          out.add(
              new Version(
                  read(rs),
                  rs.getTimestamp(committed).toInstant(),
                  superseded == null ? null : superseded.toInstant()));
        }
      }
    }
    return out;
  }

  /** Up to {@code sample} distinct entity keys, drawn at random. */
  public List<String> sampleEntities(int sample) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement(table.sampleEntitiesQuery())) {
      ps.setInt(1, sample);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  private List<FeatureRow> rows(String sql, Instant asOf) throws SQLException {
    List<FeatureRow> out = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      if (asOf != null) {
        ps.setTimestamp(1, Timestamp.from(asOf));
        ps.setTimestamp(2, Timestamp.from(asOf));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(read(rs));
        }
      }
    }
    return out;
  }

  /** The row at the cursor of a result set selected with {@link OfflineTable#rowColumns()}. */
  private FeatureRow read(ResultSet rs) throws SQLException {
    Object[] values = new Object[parts.size()];
    for (int i = 0; i < values.length; i++) {
      int col = i + 3;
      values[i] =
          switch (parts.get(i).type()) {
            case INT64 -> {
              long v = rs.getLong(col);
              yield rs.wasNull() ? null : v;
            }
            case FLOAT64 -> {
              double v = rs.getDouble(col);
              yield rs.wasNull() ? null : v;
            }
            case STRING -> rs.getString(col);
            case STRING_LIST -> ListValues.read(rs.getArray(col));
          };
    }
    return new FeatureRow(rs.getString(1), rs.getLong(2), values);
  }
}
