package io.freshet.deploy.cli;

import io.freshet.deploy.stack.StackException;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.OfflineTables;
import io.freshet.offline.PostgresSessions;
import io.freshet.plan.ViewPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What the commands check about offline tables before they read them. */
final class OfflineTableChecks {
  /** The {@code application_name} of the commands' Postgres sessions. */
  static final String APPLICATION_NAME = "freshet-cli";

  private OfflineTableChecks() {}

  /** A session for reading the offline tables, with no limit on how long a statement reads. */
  static Connection open(Setting pg) throws SQLException {
    try {
      return PostgresSessions.open(pg.value(), APPLICATION_NAME, Duration.ZERO);
    } catch (IllegalArgumentException e) {
      throw new SQLException(e.getMessage(), "08001", e);
    }
  }

  /**
   * Fails, naming the tables, when a view's offline table does not exist: no job or backfill has
   * written that version yet, so there is nothing to read.
   */
  static void requireExist(Setting pg, List<ViewPlan> plans, String purpose) {
    List<String> missing = new ArrayList<>();
    try (Connection c = open(pg)) {
      for (ViewPlan p : plans) {
        OfflineTable t = OfflineTable.of(p);
        if (!OfflineTables.exists(c, t)) {
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
