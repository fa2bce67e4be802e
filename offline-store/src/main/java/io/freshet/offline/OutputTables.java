package io.freshet.offline;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * A training set written to a Postgres table of the user's (outside schema {@code freshet}): the
 * checks before a build, and the table created and filled through {@code COPY} in the caller's
 * transaction, so that it appears only when complete.
 */
public final class OutputTables {
  private OutputTables() {}

  /** Whether a table (or other relation) {@code schema.table} exists. */
  public static boolean exists(TrainingSession s, String schema, String table)
      throws OfflineStoreException {
    try (PreparedStatement ps =
        s.connection().prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, SqlNames.qualified(schema, table));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /** Whether schema {@code schema} exists. */
  public static boolean schemaExists(TrainingSession s, String schema)
      throws OfflineStoreException {
    return s.exists("SELECT 1 FROM pg_namespace WHERE nspname = ?", schema);
  }

  /**
   * Creates table {@code schema.table} with columns {@code names} of Postgres types {@code types}
   * (dropping a table of that name first if {@code replace}), and starts filling it: lines of
   * {@code COPY} text with the columns in that order.
   */
  public static CopyInStream create(
      TrainingSession s,
      String schema,
      String table,
      List<String> names,
      List<String> types,
      boolean replace)
      throws OfflineStoreException {
    String name = SqlNames.qualified(schema, table);
    if (replace) {
      s.execute("DROP TABLE IF EXISTS " + name);
    }
    StringBuilder sb = new StringBuilder("CREATE TABLE ").append(name).append(" (");
    for (int i = 0; i < names.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(SqlNames.quote(names.get(i)));
      sb.append(' ').append(types.get(i));
    }
    s.execute(sb.append(')').toString());
    return s.copyIn("COPY " + name + " FROM STDIN");
  }
}
