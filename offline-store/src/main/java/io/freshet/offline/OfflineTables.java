package io.freshet.offline;

import io.freshet.plan.FeaturePart;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Creates offline tables (the row table of a window-end view version, the tile table of a
 * request-time one) when a writer first needs them, and tells whether one exists.
 */
public final class OfflineTables {
  private OfflineTables() {}

  /** Row versions of an offline table: all of them, and those a newer version replaced. */
  public record VersionCounts(long rows, long superseded) {}

  /**
   * Checks that an existing offline table has the layout of this version, then creates the schema,
   * the offline table, its current-version index and, through {@link FreshetSchema}, the commit
   * markers if any is missing.
   *
   * <p>A table created before {@code visible_at} existed gets the column ({@link
   * OfflineTable#addVisibleAtStatement()}), once.
   *
   * <p>When everything exists, as on every restart of a running job, it takes no lock: a {@code
   * CREATE INDEX IF NOT EXISTS} would lock the table against the commits of other subtasks.
   * Creation is serialized across sessions by an advisory lock.
   *
   * @param schema where {@link FreshetSchema#migrate(DataSource)} connects when the commit markers
   *     are missing
   * @throws SQLException with SQLState 55000 if an existing table lacks columns
   */
  public static void ensure(Connection c, OfflineTable table, DataSource schema)
      throws SQLException {
    List<String> want = new ArrayList<>(List.of("entity_key", "feature_ts"));
    table.plan().parts().stream().map(FeaturePart::name).forEach(want::add);
    want.addAll(List.of("committed_at", "superseded_at"));
    ensure(
        c,
        new Layout(
            table.qualifiedName(),
            table.tableName(),
            table.currentIndexName(),
            want,
            table.createStatements(),
            "OfflineTable.createStatements() (history: superseded_at, primary key"
                + " (entity_key, feature_ts, committed_at))"),
        schema);
    if (!hasColumn(c, table.tableName(), "visible_at")) {
      Transactions.inTransaction(
          c,
          () -> {
            try (Statement s = c.createStatement()) {
              s.execute("SELECT pg_advisory_xact_lock(hashtext('freshet.ddl'))");
              s.execute(table.addVisibleAtStatement());
            }
            return null;
          });
    }
  }

  private static boolean hasColumn(Connection c, String tableName, String column)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = ? AND column_name = ?")) {
      ps.setString(1, OfflineTable.SCHEMA);
      ps.setString(2, tableName);
      ps.setString(3, column);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * As {@link #ensure(Connection, OfflineTable, DataSource)}, for the tile table of a request-time
   * view version (which has no row table): checks an existing one's columns, then creates the
   * schema, the tile table, its index and the commit markers if any is missing.
   *
   * @throws SQLException with SQLState 55000 if an existing table lacks columns
   */
  public static void ensure(Connection c, TileTable table, DataSource schema) throws SQLException {
    ensure(
        c,
        new Layout(
            table.qualifiedName(),
            table.tableName(),
            table.visibleIndexName(),
            TileTable.columns(),
            table.createStatements(),
            "TileTable.createStatements()"),
        schema);
  }

  /** What {@link #ensure} needs of a table: names, columns and DDL. */
  private record Layout(
      String qualifiedName,
      String tableName,
      String indexName,
      List<String> columns,
      List<String> createStatements,
      String layoutSource) {}

  private static void ensure(Connection c, Layout table, DataSource schema) throws SQLException {
    Transactions.inTransaction(
        c,
        () -> {
          try (Statement s = c.createStatement()) {
            checkLayout(c, table);
            if (!allExist(c, table)) {
              s.execute("SELECT pg_advisory_xact_lock(hashtext('freshet.ddl'))");
              // Another session may have created everything while this one waited for the lock;
              // its CREATE INDEX IF NOT EXISTS would then lock tables that session already
              // commits into, and the two deadlock.
              if (!allExist(c, table)) {
                if (!markersExist(c)) {
                  FreshetSchema.migrate(schema);
                }
                for (String ddl : table.createStatements()) {
                  s.execute(ddl);
                }
              }
            }
          }
          return null;
        });
  }

  /** True when the tile table exists. */
  public static boolean exists(Connection c, TileTable table) throws SQLException {
    return exists(c, table.qualifiedName());
  }

  /** True when the table exists. */
  public static boolean exists(Connection c, OfflineTable table) throws SQLException {
    return exists(c, table.qualifiedName());
  }

  private static boolean exists(Connection c, String qualifiedName) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      s.setString(1, qualifiedName);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** The row versions of a table; zero for a table that does not exist. */
  public static VersionCounts counts(Connection c, OfflineTable table) throws SQLException {
    if (!exists(c, table)) {
      return new VersionCounts(0, 0);
    }
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(table.versionCountsQuery())) {
      rs.next();
      return new VersionCounts(rs.getLong(1), rs.getLong(2));
    }
  }

  /**
   * Whether the offline table, its current-version index, the commit markers and their index all
   * exist. Reads {@code pg_class} with the statement's snapshot: a name lookup such as {@code
   * to_regclass} answers from the session's catalog cache, which may still hold "no such relation"
   * from before the advisory lock was granted.
   */
  private static boolean allExist(Connection c, Layout table) throws SQLException {
    return countRelations(
            c, table.tableName(), table.indexName(), SinkCommits.NAME, SinkCommits.AGE_INDEX)
        == 4;
  }

  private static boolean markersExist(Connection c) throws SQLException {
    return countRelations(c, SinkCommits.NAME, SinkCommits.AGE_INDEX) == 2;
  }

  private static long countRelations(Connection c, String... relations) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT count(*) FROM pg_catalog.pg_class c"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ANY (?)")) {
      ps.setString(1, OfflineTable.SCHEMA);
      ps.setArray(2, c.createArrayOf("text", relations));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  private static void checkLayout(Connection c, Layout table) throws SQLException {
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
    List<String> missing = table.columns().stream().filter(col -> !have.contains(col)).toList();
    if (!missing.isEmpty()) {
      throw new SQLException(
          "offline table "
              + table.qualifiedName()
              + " exists without the columns "
              + missing
              + ": it was created by an older Freshet. Migrate it to the layout of "
              + table.layoutSource()
              + ", or drop it and backfill",
          "55000");
    }
  }
}
