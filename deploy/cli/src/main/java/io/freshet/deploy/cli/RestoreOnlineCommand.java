package io.freshet.deploy.cli;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.stack.StackException;
import io.freshet.dsl.Durations;
import io.freshet.maintenance.OnlineRestorer;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.OfflineTable;
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

/** {@code freshet restore-online}: rebuilds the online table of views from their offline tables. */
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
    for (ViewPlan plan : plans) {
      long t = System.nanoTime();
      OnlineRestorer.Result r;
      try {
        r = restorer.restore(plan);
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
    out.println();
    out.printf("Check with: freshet verify --views %s%n", String.join(",", views));
    out.flush();
    return FreshetCommand.EXIT_OK;
  }
}
