package io.freshet.deploy.cli;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.stack.StackException;
import io.freshet.dsl.Durations;
import io.freshet.maintenance.OnlineRestorer;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.TileTable;
import io.freshet.online.OnlineStoreErrors;
import io.freshet.plan.ViewPlan;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code freshet restore-online}: rebuilds the online table of views from their offline tables. A
 * view served at request time is rebuilt from its tile history ({@link
 * OnlineRestorer#restoreTiles}); its restored tiles become visible online at the restore, while the
 * history keeps the instants at which they were first served, so an as-served training set shows
 * the history's values for the outage, when the gateway answered NOT_FOUND.
 */
@Command(
    name = "restore-online",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Rebuilds the online table from the offline table.",
      "",
      "Writes each entity's latest offline row that is still within the view's TTL to Redis,"
          + " newest wins: a value a running job has written for a later window is kept. Use it"
          + " when Redis lost its data (a restart without persistence, a flushed database, a new"
          + " cluster); the gateway answers NOT_FOUND until the rows are back.",
      "",
      "A view served at request time is rebuilt from its tile history: the newest version of"
          + " every tile an online read could still select (those of the last longest window,"
          + " and each entity's newest tile), for entities not expired now, through the job's"
          + " own tile script (a newer version online is kept). The restored tiles are visible"
          + " online from the restore on, while the history keeps the instants they were first"
          + " served: during the outage the gateway answered NOT_FOUND, but an as-served training"
          + " set shows the history's values for labels in that time.",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the online table holds every servable latest row",
      "1:a store could not be read or written",
      "2:the definitions or the command line are invalid"
    })
final class RestoreOnlineCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = {"--views", "--view"},
      required = true,
      split = ",",
      paramLabel = "<view>",
      description = "The views to restore, e.g. user_activity.")
  List<String> views;

  @Mixin PostgresOption pg;
  @Mixin RedisOption redis;
  @Mixin DefinitionsOption definitions;

  private final Map<String, String> env;
  private final Clock clock;

  RestoreOnlineCommand() {
    this(System.getenv(), Clock.systemUTC());
  }

  RestoreOnlineCommand(Map<String, String> env, Clock clock) {
    this.env = env;
    this.clock = clock;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Definitions defs = definitions.load();
    List<ViewPlan> plans = DefinitionsOption.plans(defs, views);
    Setting pgSetting = pg.resolve(env);
    Setting redisSetting = redis.resolve(env);
    String redisDisplay = RedisOption.display(redisSetting.value());
    out.printf(
        "freshet restore-online: %s from %s%n  offline   %s%n  online    %s%n%n",
        String.join(
            ", ", plans.stream().map(p -> p.name() + " (version " + p.versionTag() + ")").toList()),
        defs.describe(),
        PostgresOption.display(pgSetting.value()),
        redisDisplay);
    out.flush();
    OfflineTableChecks.requireExist(pgSetting, plans, "restore");

    OnlineRestorer restorer = new OnlineRestorer(pgSetting.value(), redisSetting.value(), clock);
    boolean tiles = false;
    for (ViewPlan plan : plans) {
      long t = System.nanoTime();
      try {
        if (plan.requestTime()) {
          tiles = true;
          printTiles(out, plan, restorer.restoreTiles(plan), t);
        } else {
          printRows(out, plan, restorer.restore(plan), t);
        }
      } catch (OfflineStoreException e) {
        throw OfflineTableChecks.unreachable(pgSetting, e);
      } catch (RuntimeException e) {
        if (!OnlineStoreErrors.isStoreFailure(e)) {
          throw e;
        }
        throw new StackException(
            "could not write the online table at "
                + redisDisplay
                + " (from "
                + redisSetting.source()
                + "): "
                + e.getMessage(),
            e);
      }
    }
    if (tiles) {
      out.println();
      out.println(
          "Restored tiles are visible online from now on; the tile history keeps the instants"
              + " they were first served. During the outage the gateway answered NOT_FOUND, while"
              + " an as-served training set shows the history's values for labels in that time.");
    }
    out.println();
    out.printf("Check with: freshet verify --views %s%n", String.join(",", views));
    out.flush();
    return FreshetCommand.EXIT_OK;
  }

  private static void printRows(PrintWriter out, ViewPlan plan, OnlineRestorer.Result r, long t) {
    out.printf(
        "%s: %d row%s read from %s (each entity's latest, newer than the TTL of %s), %d key%s"
            + " written in %.1f s%s%n",
        plan.name(),
        r.rowsRead(),
        r.rowsRead() == 1 ? "" : "s",
        OfflineTable.of(plan).qualifiedName(),
        Durations.format(plan.ttl()),
        r.keysWritten(),
        r.keysWritten() == 1 ? "" : "s",
        (System.nanoTime() - t) / 1e9,
        r.keysWritten() < r.rowsRead()
            ? " (the others already held a value for the same or a later window)"
            : "");
    out.flush();
  }

  private static void printTiles(
      PrintWriter out, ViewPlan plan, OnlineRestorer.TileResult r, long t) {
    out.printf(
        "%s: %d tile%s read from %s (the newest version of each), %d tile%s of %d entit%s written"
            + " in %.1f s%s%n",
        plan.name(),
        r.tilesRead(),
        r.tilesRead() == 1 ? "" : "s",
        TileTable.of(plan).qualifiedName(),
        r.tilesWritten(),
        r.tilesWritten() == 1 ? "" : "s",
        r.entities(),
        r.entities() == 1 ? "y" : "ies",
        (System.nanoTime() - t) / 1e9,
        r.tilesRefused() == 0
            ? ""
            : " ("
                + r.tilesRefused()
                + " kept as they were: the online table held a newer version, or the tile left"
                + " every window meanwhile)");
    out.flush();
  }
}
