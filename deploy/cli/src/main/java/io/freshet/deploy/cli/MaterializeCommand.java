package io.freshet.deploy.cli;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.stack.ChildJvm;
import io.freshet.deploy.stack.DefinitionsCheck;
import io.freshet.deploy.stack.FlinkClusterConfig;
import io.freshet.deploy.stack.Installation;
import io.freshet.deploy.stack.StackException;
import io.freshet.flink.job.JobContract;
import io.freshet.plan.ViewPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
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
 * {@code freshet materialize}: loads a table-sourced view's rows into its offline history and
 * online table, exactly once, through a bounded Flink job in a child JVM ({@code MaterializeJob}).
 * Every check of the command line happens before anything runs.
 */
@Command(
    name = "materialize",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Loads a table-sourced view's rows into its offline history and online table.",
      "",
      "Reads the rows of the view's Postgres table or query whose timestamp column lies in"
          + " (--from, --to] and writes each as the entity's row at that timestamp, exactly once:"
          + " a row the stores already hold adds nothing, so a failed load can simply be run"
          + " again. Without --from a load continues from the end of the view's last successful"
          + " load (its high-water mark, kept in Postgres); without --to it ends now. Rows"
          + " updated in place must carry a newer timestamp to be loaded again.",
      "",
      "With --every the load repeats at that interval until stopped (Ctrl-C), each time"
          + " loading only the rows stamped since the previous load. The table or query must be"
          + " readable through the same Postgres as the offline store (--pg-url).",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the load finished (with --every: stopped after loading)",
      "1:the load failed, or Postgres or Redis could not be reached",
      "2:the definitions or the command line are invalid"
    })
final class MaterializeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--view",
      required = true,
      paramLabel = "<view>",
      description = "The table-sourced view to load, e.g. user_profile.")
  String view;

  @Option(
      names = "--from",
      paramLabel = "<instant>",
      description =
          "Load rows stamped after this instant, e.g. 2026-11-01T00:00:00Z (default: the end of"
              + " the last successful load, or the beginning).")
  String from;

  @Option(
      names = "--to",
      paramLabel = "<instant>",
      description = "Load rows stamped at or before this instant (default: now).")
  String to;

  @Option(
      names = "--every",
      converter = DurationConverter.class,
      paramLabel = "<duration>",
      description = "Repeat the load at this interval until stopped, e.g. 15m (at least 1s).")
  Duration every;

  @Option(
      names = "--no-online",
      description = "Write the offline history only, not the online table.")
  boolean noOnline;

  @Mixin PostgresOption pg;
  @Mixin RedisOption redis;
  @Mixin DefinitionsOption definitions;

  @Option(
      names = "--job-jar",
      paramLabel = "<jar>",
      description = "The job jar (default: the one built in flink-jobs/target).")
  Path jobJar;

  @Option(
      names = "--timeout",
      defaultValue = "1h",
      converter = DurationConverter.class,
      paramLabel = "<duration>",
      description = "Give up on one load after this long (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  private final Map<String, String> env;

  MaterializeCommand() {
    this(System.getenv());
  }

  MaterializeCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    Definitions defs = definitions.load();
    ViewPlan plan = tableView(defs, view);
    Long fromMillis = from == null ? null : instant("--from", from).toEpochMilli();
    Long toMillis = to == null ? null : instant("--to", to).toEpochMilli();
    if (fromMillis != null && toMillis != null && fromMillis >= toMillis) {
      throw new UsageException("--from " + from + " is not before --to " + to + " (swap them?)");
    }
    if (every != null) {
      if (every.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new UsageException(
            "--every " + every + " is too short: give an interval of at least 1s, e.g. 15m");
      }
      if (from != null || to != null) {
        throw new UsageException(
            "--every repeats loads from the high-water mark up to now; it does not take --from"
                + " or --to (run one load with them first, then --every)");
      }
    }
    if (timeout.isZero() || timeout.isNegative()) {
      throw new UsageException("--timeout must be positive, got " + timeout);
    }
    Setting pgSetting = pg.resolve(env);
    Setting redisSetting = noOnline ? null : redis.resolve(env);
    Installation installation = Installation.fromSystemProperties();
    Path jar =
        jobJar != null ? SubmitCommand.requireFile(jobJar, "--job-jar") : installation.jobJar();
    DefinitionsCheck.requireSameDefinitions(jar);
    long t = System.nanoTime();
    Registries.requireApplied(Registries.open(pgSetting), pgSetting, List.of(plan), defs.jar());
    Steps.step(out, "registry", "view registered as these definitions", t);

    List<String> args =
        new ArrayList<>(List.of("--view", plan.name(), "--pg-url", pgSetting.value()));
    if (redisSetting != null) {
      args.addAll(List.of("--redis-url", redisSetting.value()));
    }
    if (fromMillis != null) {
      args.addAll(List.of("--from", Long.toString(fromMillis)));
    }
    if (toMillis != null) {
      args.addAll(List.of("--to", Long.toString(toMillis)));
    }
    Path tmp = Files.createTempDirectory("freshet-materialize");
    try {
      Path jobJarForDefs = defs.jobJar(jar, tmp);
      if (every == null) {
        loadOnce(out, installation, jobJarForDefs, args);
        return 0;
      }
      out.printf(
          "Loading %s every %s until stopped (Ctrl-C).%n",
          plan.name(), io.freshet.dsl.Durations.format(every));
      out.flush();
      while (!Thread.currentThread().isInterrupted()) {
        try {
          loadOnce(out, installation, jobJarForDefs, args);
        } catch (StackException e) {
          // The next load covers this one's range again: nothing is lost or doubled.
          out.printf("load failed, retried at the next interval: %s%n", e.getMessage());
          out.flush();
        }
        Thread.sleep(every.toMillis());
      }
      return 0;
    } finally {
      Steps.deleteQuietly(tmp);
    }
  }

  private void loadOnce(PrintWriter out, Installation installation, Path jar, List<String> args)
      throws IOException {
    Path dir = Files.createDirectories(installation.workDir().resolve("materialize"));
    Path log = dir.resolve(view + ".log");
    Path log4j = dir.resolve("log4j.properties");
    Files.writeString(log4j, FlinkClusterConfig.log4jProperties());
    List<String> jvmArgs = new ArrayList<>(List.of("-Xmx1g", "-XX:+UseG1GC"));
    jvmArgs.addAll(ChildJvm.FLINK_JAVA_OPTS);
    jvmArgs.add("-Dlog.file=" + log);
    jvmArgs.add("-Dlog4j.configurationFile=" + log4j.toUri());
    long t = System.nanoTime();
    String output =
        ChildJvm.run(
            "load of " + view,
            List.of(installation.flinkClasspath(), jar),
            jvmArgs,
            JobContract.MATERIALIZE_JOB_CLASS,
            args,
            dir.resolve(view + ".out"),
            timeout);
    String result =
        output.lines().filter(l -> l.startsWith("loaded ")).reduce((a, b) -> b).orElse("loaded");
    Steps.step(out, "load", result, t);
    out.flush();
  }

  /** The plan of {@code name}, which must be a table-sourced view of {@code defs}. */
  static ViewPlan tableView(Definitions defs, String name) {
    ViewPlan plan = defs.catalog().find(name);
    if (plan == null) {
      List<String> tables =
          defs.catalog().plans().stream()
              .filter(ViewPlan::tableSourced)
              .map(ViewPlan::name)
              .toList();
      throw new UsageException(
          "no view '"
              + name
              + "' in "
              + defs.describe()
              + " (table-sourced views: "
              + (tables.isEmpty() ? "none" : String.join(", ", tables))
              + ")");
    }
    if (!plan.tableSourced()) {
      throw new UsageException(
          "view '"
              + name
              + "' reads Kafka topic '"
              + plan.source().topic()
              + "', not a table: only table-sourced views are materialized (its rows come from"
              + " the streaming job; history from `freshet backfill`)");
    }
    return plan;
  }

  private static Instant instant(String flag, String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new UsageException(
          flag + " '" + text + "' is not an ISO-8601 instant (write e.g. 2026-11-01T00:00:00Z)", e);
    }
  }
}
