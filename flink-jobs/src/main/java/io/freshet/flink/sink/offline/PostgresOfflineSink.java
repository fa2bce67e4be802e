package io.freshet.flink.sink.offline;

import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.ExactlyOnceRowSink;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.OfflineTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;

/**
 * Writes a view's rows exactly once to its offline table in Postgres, keeping history (layout in
 * {@link OfflineTable}).
 *
 * <p>When a checkpoint completes, each subtask's committer writes that checkpoint's rows in one
 * transaction: first the commit marker ({@code freshet.sink_commits}), then, batch after batch, a
 * statement that adds new rows and closes the current versions the batch changes and one that adds
 * their new versions, then COMMIT. A replayed committable finds its marker and is skipped; a
 * transaction cut off midway leaves nothing behind and is done again whole. No XA, no prepared
 * transactions.
 *
 * <p>What Postgres needs: no settings beyond the defaults ({@code max_prepared_transactions} may
 * stay 0). Each committer subtask holds one connection for the life of the job. The role needs
 * {@code CREATE} on the database, or the schema {@code freshet} and the tables created in advance;
 * then {@code SELECT, INSERT, UPDATE} on the offline tables and {@code SELECT, INSERT, DELETE} on
 * {@code freshet.sink_commits}. A {@code statement_timeout}, if set, must allow one batch
 * statement.
 *
 * <p>The JDBC URL is used as given; unless it says otherwise, sessions are named {@value
 * OfflineTable#WRITER_APPLICATION_NAME} and use a 10 s connect timeout, a 5 min socket timeout and
 * TCP keep-alive.
 */
public final class PostgresOfflineSink extends ExactlyOnceRowSink {
  private static final long serialVersionUID = 1L;

  /** Rows per batch statement inside a commit. */
  public static final int DEFAULT_ROWS_PER_STATEMENT = 2_000;

  /** How long commit markers are kept. */
  public static final Duration DEFAULT_MARKER_RETENTION = Duration.ofDays(7);

  private final String jdbcUrl;
  private final int rowsPerStatement;
  private final Backoff backoff;
  private final Duration markerRetention;

  private PostgresOfflineSink(
      ViewPlan plan, String jdbcUrl, int rowsPerStatement, Backoff backoff, Duration retention) {
    super(plan, Keep.LAST_PER_WINDOW);
    this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "offline sink of "
              + plan.name()
              + " needs a Postgres JDBC URL (jdbc:postgresql://host:5432/db?user=...), got '"
              + PostgresSessions.safe(jdbcUrl)
              + "'");
    }
    if (rowsPerStatement < 1) {
      throw new IllegalArgumentException(
          "rows per statement must be at least 1, got " + rowsPerStatement + " (e.g. 2000)");
    }
    if (retention.toSeconds() < 1) {
      throw new IllegalArgumentException(
          "commit marker retention must be at least 1 s, got " + retention + " (e.g. P7D)");
    }
    this.rowsPerStatement = rowsPerStatement;
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.markerRetention = retention;
  }

  /** A sink committing at checkpoints, with default batch size, retries and marker retention. */
  public static PostgresOfflineSink exactlyOnce(ViewPlan plan, String jdbcUrl) {
    return new PostgresOfflineSink(
        plan, jdbcUrl, DEFAULT_ROWS_PER_STATEMENT, Backoff.DEFAULT, DEFAULT_MARKER_RETENTION);
  }

  /** The same sink with another batch size inside a commit. */
  public PostgresOfflineSink withRowsPerStatement(int rows) {
    return new PostgresOfflineSink(plan(), jdbcUrl, rows, backoff, markerRetention);
  }

  /** The same sink with other retries of transient errors. */
  public PostgresOfflineSink withRetries(Backoff retries) {
    return new PostgresOfflineSink(plan(), jdbcUrl, rowsPerStatement, retries, markerRetention);
  }

  /** The same sink keeping commit markers for another duration. */
  public PostgresOfflineSink withMarkerRetention(Duration retention) {
    return new PostgresOfflineSink(plan(), jdbcUrl, rowsPerStatement, backoff, retention);
  }

  @Override
  public Committer<RowCommittable> createCommitter(CommitterInitContext context) {
    return new PostgresOfflineCommitter(
        OfflineTable.of(plan()), jdbcUrl, rowsPerStatement, backoff, markerRetention);
  }

  /**
   * Checks that an existing offline table has the layout of this version, then creates the schema,
   * the offline table, its current-version index and the commit markers if any is missing.
   *
   * <p>When everything exists, as on every restart of a running job, it takes no lock: a {@code
   * CREATE INDEX IF NOT EXISTS} would lock the table against the commits of other subtasks.
   * Creation is serialized across sessions by an advisory lock.
   *
   * @throws SQLException with SQLState 55000 if an existing table lacks columns
   */
  public static void ensureTables(Connection c, OfflineTable table) throws SQLException {
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      checkLayout(c, table);
      if (!allExist(c, table)) {
        s.execute("SELECT pg_advisory_xact_lock(hashtext('freshet.ddl'))");
        // Another session may have created everything while this one waited for the lock; its
        // CREATE INDEX IF NOT EXISTS would then lock tables that session already commits into,
        // and the two deadlock.
        if (!allExist(c, table)) {
          for (String ddl : table.createStatements()) {
            s.execute(ddl);
          }
          for (String ddl : SinkCommits.CREATE) {
            s.execute(ddl);
          }
        }
      }
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  /**
   * Whether the offline table, its current-version index, the commit markers and their index all
   * exist. Reads {@code pg_class} with the statement's snapshot: a name lookup such as {@code
   * to_regclass} answers from the session's catalog cache, which may still hold "no such relation"
   * from before the advisory lock was granted.
   */
  private static boolean allExist(Connection c, OfflineTable table) throws SQLException {
    String[] relations = {
      table.tableName(), table.currentIndexName(), SinkCommits.NAME, SinkCommits.AGE_INDEX
    };
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT count(*) FROM pg_catalog.pg_class c"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ANY (?)")) {
      ps.setString(1, OfflineTable.SCHEMA);
      ps.setArray(2, c.createArrayOf("text", relations));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getLong(1) == relations.length;
      }
    }
  }

  private static void checkLayout(Connection c, OfflineTable table) throws SQLException {
    Set<String> have = new HashSet<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT column_name FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = ?")) {
      ps.setString(1, OfflineTable.SCHEMA);
      ps.setString(2, table.tableName());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          have.add(rs.getString(1));
        }
      }
    }
    if (have.isEmpty()) {
      return;
    }
    List<String> want = new ArrayList<>(List.of("entity_key", "feature_ts"));
    table.plan().parts().stream().map(FeaturePart::name).forEach(want::add);
    want.addAll(List.of("committed_at", "superseded_at"));
    List<String> missing = want.stream().filter(col -> !have.contains(col)).toList();
    if (!missing.isEmpty()) {
      throw new SQLException(
          "offline table "
              + table.qualifiedName()
              + " exists without the columns "
              + missing
              + ": it was created by an older Freshet. Migrate it to the layout of"
              + " OfflineTable.createStatements() (history: superseded_at, primary key"
              + " (entity_key, feature_ts, committed_at)), or drop it and backfill",
          "55000");
    }
  }
}
