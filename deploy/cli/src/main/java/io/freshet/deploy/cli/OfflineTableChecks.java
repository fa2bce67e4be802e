package io.freshet.deploy.cli;

import io.freshet.deploy.stack.StackException;
import io.freshet.dsl.Durations;
import io.freshet.offline.OfflineSession;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.TileTable;
import io.freshet.plan.ViewPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What the commands check about offline tables before they read them. */
final class OfflineTableChecks {
  /** The {@code application_name} of the commands' Postgres sessions. */
  static final String APPLICATION_NAME = "freshet-cli";

  private OfflineTableChecks() {}

  /** A session for reading the offline tables, with no limit on how long a statement reads. */
  static OfflineSession open(Setting pg) {
    try {
      return OfflineSession.open(pg.value(), APPLICATION_NAME);
    } catch (IllegalArgumentException e) {
      throw new OfflineStoreException(e.getMessage(), "08001", e);
    }
  }

  /**
   * The qualified name of a view's offline table: its row table, or for a view served at request
   * time its tile history ({@link TileTable}); such a view has no row table.
   */
  static String tableName(ViewPlan p) {
    return p.requestTime() ? TileTable.of(p).qualifiedName() : OfflineTable.of(p).qualifiedName();
  }

  /** How a view is served, for a person: "window ends" or "request time, tiles of 1m". */
  static String serving(ViewPlan p) {
    if (p.tableSourced()) {
      return "row timestamps (loaded by freshet materialize)";
    }
    return p.requestTime()
        ? "request time, tiles of " + Durations.format(Duration.ofMillis(p.tileMillis()))
        : "window ends";
  }

  /**
   * Fails, naming the tables, when a view's offline table (its tile table, for a request-time view)
   * does not exist: no job or backfill has written that version yet, so there is nothing to read.
   */
  static void requireExist(Setting pg, List<ViewPlan> plans, String purpose) {
    List<String> missing = new ArrayList<>();
    try (OfflineSession session = open(pg)) {
      for (ViewPlan p : plans) {
        boolean exists =
            p.requestTime() ? session.exists(TileTable.of(p)) : session.exists(OfflineTable.of(p));
        if (!exists) {
          missing.add(p.name() + " (" + tableName(p) + ")");
        }
      }
    } catch (OfflineStoreException e) {
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

  static StackException unreachable(Setting pg, OfflineStoreException e) {
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
