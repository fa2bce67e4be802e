package io.freshet.offline;

import io.freshet.plan.FeaturePart;
import io.freshet.storage.FeatureRow;
import java.io.IOException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The offline sink's session with one offline table: applies a committable's rows and its commit
 * marker in one transaction, and says which of its errors are worth waiting for. It opens its
 * connection when first needed, creates the tables then if they are missing, and purges old markers
 * every ten minutes.
 *
 * <p>One transaction per committable: the marker ({@link SinkCommits#claim}), then for each batch
 * the two statements of {@link OfflineTable}, then COMMIT. The second statement ({@link
 * OfflineTable#insertStatement()}) only adds new versions of the rows whose current version the
 * first one closed; the first one counts those ({@link
 * OfflineTable#insertOrSupersedeCountingStatement()}), and when it closed none, the second one,
 * which would find a current version for every row of the batch and add nothing, is not sent. A
 * marker already there means the rows are in: nothing is written. Not thread-safe; one per
 * committer.
 *
 * <p>Rows are written in one order, by entity key then feature_ts, whatever order the committable
 * holds them in. Each statement locks the current version of every row it touches ({@code ON
 * CONFLICT} waits for a transaction that inserted or superseded the same (entity, feature_ts) and
 * then holds that row until COMMIT), so two transactions that share rows, e.g. two subtasks of jobs
 * that write the same view version, or a restored committable and the live one, used to deadlock
 * when each had locked a row the other one wanted next ({@code deadlock detected}, both processes
 * waiting for a ShareLock on the other's transaction while inserting into the current-version
 * index). In one global order a transaction only ever waits for a row that comes after every row it
 * holds, so no two transactions can wait for each other: the later one waits until the earlier one
 * commits, and then finds its rows.
 */
public final class OfflineWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OfflineWriter.class);

  /** What applying one committable did. */
  public enum Outcome {
    /** The marker and the rows were committed. */
    APPLIED,
    /** The marker was there: the rows had been committed before, nothing was written. */
    ALREADY_COMMITTED
  }

  /** Hears about a transaction in progress, and may stop it by throwing. */
  public interface Progress {
    /** Before each batch statement. */
    void beforeBatch() throws IOException, InterruptedException;

    /** Once, after the batch that completes the first half of the batches. */
    void halfWritten() throws IOException;
  }

  private static final Set<String> LAYOUT_STATES = Set.of("42P01", "42703");

  private final OfflineTable table;
  private final int rowsPerStatement;
  private final MarkedTransactions transactions;

  /**
   * A writer of {@code table}; it connects when first used.
   *
   * @param jdbcUrl {@code jdbc:postgresql://host:5432/db?user=...}
   * @param rowsPerStatement rows per batch statement inside a commit
   * @param markerRetention how long commit markers are kept
   */
  public OfflineWriter(
      OfflineTable table, String jdbcUrl, int rowsPerStatement, Duration markerRetention) {
    this.table = Objects.requireNonNull(table, "table");
    this.rowsPerStatement = rowsPerStatement;
    this.transactions =
        new MarkedTransactions(
            table.tableName(),
            table.qualifiedName(),
            jdbcUrl,
            markerRetention,
            (c, schema) -> OfflineTables.ensure(c, table, schema),
            LOG);
  }

  /** Whether the committable with this marker is in. Claims nothing. */
  public boolean hasMarker(SinkCommits.Marker marker) throws SQLException {
    return transactions.hasMarker(marker);
  }

  /**
   * Writes the rows of a committable and its marker in one transaction, or finds the marker and
   * writes nothing. On any error the transaction is rolled back, so calling again is correct.
   */
  public Outcome apply(List<FeatureRow> rows, SinkCommits.Marker marker, Progress progress)
      throws SQLException, IOException, InterruptedException {
    return apply(rows, null, marker, progress);
  }

  /**
   * {@link #apply(List, SinkCommits.Marker, Progress)}, each row with the instant from which the
   * online table served it ({@code visible_at}, see {@link OfflineTable}).
   *
   * @param visibleMicros per row, in order, the instant in epoch microseconds of the online store's
   *     clock from which it was served, or a negative number if never; null: none was served
   */
  public Outcome apply(
      List<FeatureRow> rows, long[] visibleMicros, SinkCommits.Marker marker, Progress progress)
      throws SQLException, IOException, InterruptedException {
    if (visibleMicros != null && visibleMicros.length != rows.size()) {
      throw new IllegalArgumentException(
          visibleMicros.length + " visibility instants for " + rows.size() + " rows");
    }
    int[] order = lockOrder(rows);
    List<FeatureRow> sorted = new ArrayList<>(rows.size());
    long[] sortedVisible = visibleMicros == null ? null : new long[rows.size()];
    for (int i = 0; i < order.length; i++) {
      sorted.add(rows.get(order[i]));
      if (sortedVisible != null) {
        sortedVisible[i] = visibleMicros[order[i]];
      }
    }
    return transactions.apply(
        marker, rows.size(), c -> writeRows(c, sorted, sortedVisible, progress));
  }

  /**
   * The positions of {@code rows} in the order every writer locks them: by entity key, then
   * feature_ts. See the class comment.
   */
  static int[] lockOrder(List<FeatureRow> rows) {
    return LockOrder.ofRows(rows);
  }

  private void writeRows(
      Connection c, List<FeatureRow> rows, long[] visibleMicros, Progress progress)
      throws SQLException, IOException, InterruptedException {
    int batches = (rows.size() + rowsPerStatement - 1) / rowsPerStatement;
    int half = (batches + 1) / 2;
    try (PreparedStatement insertOrSupersede =
            c.prepareStatement(table.insertOrSupersedeCountingStatement());
        PreparedStatement insert = c.prepareStatement(table.insertStatement())) {
      for (int b = 0; b < batches; b++) {
        progress.beforeBatch();
        int from = b * rowsPerStatement;
        List<FeatureRow> batch = rows.subList(from, Math.min(rows.size(), from + rowsPerStatement));
        Array[] columns = columns(c, batch, visibleMicros, from);
        try {
          for (int i = 0; i < columns.length; i++) {
            insertOrSupersede.setArray(i + 1, columns[i]);
            insert.setArray(i + 1, columns[i]);
          }
          long superseded;
          try (ResultSet r = insertOrSupersede.executeQuery()) {
            r.next();
            superseded = r.getLong(1);
          }
          if (superseded > 0) {
            insert.executeUpdate();
          }
        } finally {
          for (Array a : columns) {
            a.free();
          }
        }
        if (b + 1 == half) {
          progress.halfWritten();
        }
      }
    }
  }

  /**
   * The batch as one array per column, as {@link OfflineTable#insertOrSupersedeStatement()} takes
   * it.
   */
  private Array[] columns(Connection c, List<FeatureRow> batch, long[] visibleMicros, int from)
      throws SQLException {
    List<FeaturePart> parts = table.plan().parts();
    int n = batch.size();
    String[] keys = new String[n];
    Long[] ts = new Long[n];
    Object[][] values = new Object[parts.size()][n];
    for (int r = 0; r < n; r++) {
      FeatureRow row = batch.get(r);
      keys[r] = row.entityKey();
      ts[r] = row.featureTs();
      Object[] v = row.values();
      if (v.length != parts.size()) {
        throw new SQLException(
            "a row of entity '"
                + row.entityKey()
                + "' has "
                + v.length
                + " values, the plan of "
                + table.qualifiedName()
                + " has "
                + parts.size(),
            "22023");
      }
      for (int p = 0; p < v.length; p++) {
        values[p][r] = v[p];
      }
    }
    Long[] visible = new Long[n];
    if (visibleMicros != null) {
      for (int r = 0; r < n; r++) {
        long v = visibleMicros[from + r];
        visible[r] = v < 0 ? null : v;
      }
    }
    Array[] arrays = new Array[3 + parts.size()];
    arrays[2 + parts.size()] = c.createArrayOf("int8", visible);
    arrays[0] = c.createArrayOf("text", keys);
    arrays[1] = c.createArrayOf("int8", ts);
    for (FeaturePart p : parts) {
      Object[] column = values[p.index()];
      arrays[2 + p.index()] =
          switch (p.type()) {
            case INT64 -> c.createArrayOf("int8", numbers(column, false));
            case FLOAT64 -> c.createArrayOf("float8", numbers(column, true));
            case STRING -> c.createArrayOf("text", strings(column));
            case STRING_LIST -> c.createArrayOf("text", listLiterals(column));
          };
    }
    return arrays;
  }

  private static Object[] numbers(Object[] column, boolean floating) {
    Object[] out = floating ? new Double[column.length] : new Long[column.length];
    for (int i = 0; i < column.length; i++) {
      Object v = column[i];
      if (v == null) {
        continue;
      }
      if (floating) {
        out[i] = ((Number) v).doubleValue();
      } else {
        out[i] = ((Number) v).longValue();
      }
    }
    return out;
  }

  private static String[] strings(Object[] column) {
    String[] out = new String[column.length];
    for (int i = 0; i < column.length; i++) {
      out[i] = column[i] == null ? null : column[i].toString();
    }
    return out;
  }

  private static String[] listLiterals(Object[] column) {
    String[] out = new String[column.length];
    for (int i = 0; i < column.length; i++) {
      out[i] = column[i] == null ? null : ListValues.literal((List<?>) column[i]);
    }
    return out;
  }

  /** Whether an error of {@link #apply} may go away by waiting (a restart, a failover). */
  public static boolean isTransient(Exception e) {
    return MarkedTransactions.isTransient(e);
  }

  /** A sentence about a permanent error of {@link #apply} that says what to do. */
  public String explain(Exception e) {
    return transactions.explain(
        e,
        "SELECT, INSERT, UPDATE",
        LAYOUT_STATES,
        "; the table does not have the layout of this Freshet version (see"
            + " OfflineTable.createStatements())");
  }

  /** Drops the connection, so that the next {@link #apply} opens a new one. */
  public void discardConnection() {
    transactions.discardConnection();
  }

  @Override
  public void close() {
    discardConnection();
  }
}
