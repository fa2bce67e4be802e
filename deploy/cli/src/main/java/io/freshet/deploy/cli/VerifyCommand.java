package io.freshet.deploy.cli;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.stack.StackException;
import io.freshet.dsl.Durations;
import io.freshet.maintenance.OnlineVerifier;
import io.freshet.maintenance.OnlineVerifier.Mismatch;
import io.freshet.maintenance.OnlineVerifier.Report;
import io.freshet.offline.OfflineStoreException;
import io.freshet.online.OnlineStoreErrors;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.EntityKey;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code freshet verify}: checks, for sampled entities, that the online table serves exactly the
 * offline table's latest row (or nothing, once that row has outlived the view's TTL); for a view
 * served at request time, that the online tiles are the tile history's newest versions and serve
 * the value those versions give ({@link io.freshet.maintenance.OnlineVerifier}).
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Compares online values with the offline table for sampled entities.",
      "",
      "For each sampled entity the online table must hold the offline table's latest row, with"
          + " the same values, or nothing once that row is older than the view's TTL. The two"
          + " stores commit at the same checkpoint but not in one transaction, so an entity that"
          + " differs is checked again after --recheck-after and reported only if it still"
          + " differs.",
      "",
      "A view served at request time has a tile history instead: for each sampled entity every"
          + " tile a read can still select must be online in the history's newest version, byte"
          + " for byte, and the value served from the online tiles at the read's instant must be"
          + " the value of those versions; once the newest tile has expired (tile + longest"
          + " window + TTL after its start) nothing may be served. Older tiles the online table"
          + " has not pruned yet are not compared.",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:every sampled entity matches",
      "1:mismatches remain (listed), or a store could not be read",
      "2:the definitions or the command line are invalid"
    })
final class VerifyCommand implements Callable<Integer> {
  /** Mismatches listed per view; the rest are counted. */
  static final int MAX_LISTED = 20;

  @Spec CommandSpec spec;

  @Option(
      names = {"--views", "--view"},
      required = true,
      split = ",",
      paramLabel = "<view>",
      description = "The views to check, e.g. user_activity.")
  List<String> views;

  @Option(
      names = "--sample",
      defaultValue = "1000",
      paramLabel = "<n>",
      description = "Entities checked per view, drawn at random (default: ${DEFAULT-VALUE}).")
  int sample;

  @Option(
      names = "--recheck-after",
      defaultValue = "5s",
      converter = DurationConverter.class,
      paramLabel = "<duration>",
      description =
          "Check differing entities again after this long, to let a running job's commit finish"
              + " (0s: no recheck; default: ${DEFAULT-VALUE}).")
  Duration recheckAfter;

  @Mixin PostgresOption pg;
  @Mixin RedisOption redis;
  @Mixin DefinitionsOption definitions;

  private final Map<String, String> env;
  private final Clock clock;

  VerifyCommand() {
    this(System.getenv(), Clock.systemUTC());
  }

  VerifyCommand(Map<String, String> env, Clock clock) {
    this.env = env;
    this.clock = clock;
  }

  @Override
  public Integer call() {
    if (sample < 1) {
      throw new UsageException("--sample must be at least 1, got " + sample);
    }
    if (recheckAfter.isNegative()) {
      throw new UsageException("--recheck-after must not be negative, got " + recheckAfter);
    }
    PrintWriter out = spec.commandLine().getOut();
    Definitions defs = definitions.load();
    List<ViewPlan> plans = DefinitionsOption.plans(defs, views);
    Setting pgSetting = pg.resolve(env);
    Setting redisSetting = redis.resolve(env);
    out.printf(
        "freshet verify: %s from %s%n  offline   %s%n  online    %s%n%n",
        String.join(
            ", ", plans.stream().map(p -> p.name() + " (version " + p.versionTag() + ")").toList()),
        defs.describe(),
        PostgresOption.display(pgSetting.value()),
        RedisOption.display(redisSetting.value()));
    out.flush();
    OfflineTableChecks.requireExist(pgSetting, plans, "verify");

    OnlineVerifier verifier = new OnlineVerifier(pgSetting.value(), redisSetting.value(), clock);
    List<String> failing = new ArrayList<>();
    boolean tilesFailing = false;
    for (ViewPlan plan : plans) {
      Report report;
      try {
        report = verifier.verify(plan, sample, recheckAfter);
      } catch (OfflineStoreException e) {
        throw OfflineTableChecks.unreachable(pgSetting, e);
      } catch (RuntimeException e) {
        if (!OnlineStoreErrors.isStoreFailure(e)) {
          throw e;
        }
        throw new StackException(
            "could not read the online table at "
                + RedisOption.display(redisSetting.value())
                + " (from "
                + redisSetting.source()
                + "): "
                + e.getMessage(),
            e);
      }
      print(out, plan, report);
      if (!report.ok()) {
        failing.add(plan.name());
        tilesFailing |= plan.requestTime();
      }
    }
    if (failing.isEmpty()) {
      out.println();
      out.println("The online table matches the offline table for every sampled entity.");
      out.flush();
      return FreshetCommand.EXIT_OK;
    }
    String names = String.join(",", failing);
    out.println();
    out.printf(
        "Mismatches remain in %s. If Redis lost or mixed up data, rebuild the online table from"
            + " the offline one: freshet restore-online --views %s%n",
        names, names);
    if (tilesFailing) {
      out.println(
          "For a view served at request time the restore rewrites missing, stale and unreadable"
              + " tiles; it keeps a tile online in the same or a newer version (other bytes or"
              + " AHEAD_OF_OFFLINE), and a value served past expiry (UNEXPECTED_ONLINE): delete"
              + " those entities' keys first (DEL {<entity>}:<version tag>), then restore.");
    }
    out.flush();
    return FreshetCommand.EXIT_FAILED;
  }

  private void print(PrintWriter out, ViewPlan plan, Report report) {
    int n = report.mismatches().size();
    out.printf(
        "%s: %d entit%s checked in %s%s, %s%n",
        plan.name(),
        report.checked(),
        report.checked() == 1 ? "y" : "ies",
        OfflineTableChecks.tableName(plan),
        plan.requestTime() ? " (served at " + OfflineTableChecks.serving(plan) + ")" : "",
        n == 0
            ? "all match"
            : n
                + " mismatch"
                + (n == 1 ? "" : "es")
                + (recheckAfter.isZero()
                    ? ""
                    : " (still there when checked again "
                        + Durations.format(recheckAfter)
                        + " later)"));
    for (Mismatch m : report.mismatches().subList(0, Math.min(n, MAX_LISTED))) {
      out.println("  " + m.toString().replace(EntityKey.SEPARATOR, '|'));
    }
    if (n > MAX_LISTED) {
      out.printf("  ... and %d more%n", n - MAX_LISTED);
    }
    out.flush();
  }
}
