package io.freshet.deploy.cli;

import io.freshet.deploy.stack.StackException;
import io.freshet.plan.ViewPlan;
import io.freshet.offline.OfflineTable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** What the commands check about offline tables before they read them. */
final class OfflineTables {
  private OfflineTables() {}

  /** True when the table exists. */
  static boolean exists(Connection c, OfflineTable table) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      s.setString(1, table.qualifiedName());
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /**
   * Fails, naming the tables, when a view's offline table does not exist: no job or backfill has
   * written that version yet, so there is nothing to read.
   */
  static void requireExist(Setting pg, List<ViewPlan> plans, String purpose) {
    List<String> missing = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(pg.value())) {
      for (ViewPlan p : plans) {
        OfflineTable t = OfflineTable.of(p);
        if (!exists(c, t)) {
          missing.add(p.name() + " (" + t.qualifiedName() + ")");
        }
      }
    } catch (SQLException e) {
      throw unreachable(pg, e);
    }
    if (!missing.isEmpty()) {
      throw new StackException(
          "no offline table yet for "
              + String.join(", ", missing)
              + " in "
              + PostgresOption.display(pg.value())
              + ", so there is nothing to "
              + purpose
              + ": the streaming job (freshet submit) or a backfill creates it when it first"
              + " writes this version");
    }
  }

  static StackException unreachable(Setting pg, SQLException e) {
    return new StackException(
        "could not read the offline tables in "
            + PostgresOption.display(pg.value())
            + " (from "
            + pg.source()
            + "): "
            + e.getMessage(),
        e);
  }
}
