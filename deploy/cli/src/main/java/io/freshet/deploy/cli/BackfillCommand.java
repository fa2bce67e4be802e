package io.freshet.deploy.cli;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.deploy.flink.FlinkRestException;
import io.freshet.deploy.flink.JarRunRequest;
import io.freshet.deploy.progress.Progress;
import io.freshet.deploy.progress.ProgressStyle;
import io.freshet.deploy.progress.ProgressTicker;
import io.freshet.deploy.stack.ChildJvm;
import io.freshet.deploy.stack.DefinitionsCheck;
import io.freshet.deploy.stack.FlinkClusterConfig;
import io.freshet.deploy.stack.Installation;
import io.freshet.deploy.stack.KafkaTopics;
import io.freshet.flink.job.BackfillJobArguments;
import io.freshet.flink.job.JobContract;
import io.freshet.flink.source.PostgresEvents;
import io.freshet.offline.OfflineSession;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.OfflineTables.VersionCounts;
import io.freshet.offline.TileTable;
import io.freshet.offline.TileTableReads;
import io.freshet.plan.ViewPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code freshet backfill}: runs views over historical events in Flink's batch mode, through the
 * streaming job's operators, writing the offline table (and optionally the online table). It runs
 * on the cluster {@code --flink} names, else locally in a child JVM on the Flink runtime classpath.
 * A view served at request time is backfilled into its tile history ({@link TileTable}), as
 * versions never served online.
 */
@Command(
    name = "backfill",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs views over historical events, writing their offline tables.",
      "",
      "Reads a file (or folder) of JSON lines, a bounded time range of each view's Kafka topic, or"
          + " a Postgres table or SELECT of events (one row per event, read with Flink's JDBC"
          + " connector; each row goes through the view's decoder like a JSON event), in Flink's batch mode through the same decoder, window operator and sinks as the"
          + " streaming job, so the rows equal the stream's for the same events. A window the"
          + " offline table already holds with other values gets a new version (the old one is"
          + " kept for training sets built earlier); equal rows add nothing, so a backfill can be"
          + " run again. The rows written are counted as each table's growth during the run.",
      "",
      "A view served at request time is backfilled into its tile history (its only offline"
          + " table) through the stream's tile operator: the tile versions are stored as never"
          + " served, so an as-served training set does not read them (labels before the view"
          + " was first served use the final values). --online does not apply to such a view;"
          + " `freshet restore-online` puts the tiles a read can still select online.",
      "",
      "While it runs it shows, on standard error, the events the sources have read and their rate"
          + " and, where the input's size is known up front (a JSON-lines input's lines, counted"
          + " before the run; a Kafka range's offsets), the share done and the time left"
          + " (--progress); read from Flink's REST API, a cluster's or the local run's own. A"
          + " Postgres read's share is unknown.",
      "",
      "Runs on the Flink cluster named by --flink or FRESHET_FLINK (then --input must be a path"
          + " the TaskManagers can read), else in a local Flink in a child JVM (log in"
          + " .freshet/backfill/).",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the backfill finished; the rows written are printed",
      "1:the backfill failed, or the cluster, Postgres or the registry could not be reached",
      "2:the definitions or the command line are invalid"
    })
final class BackfillCommand implements Callable<Integer> {
  private static final DateTimeFormatter LOG_NAME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  @Spec CommandSpec spec;

  @Option(
      names = {"--views", "--view"},
      required = true,
      split = ",",
      paramLabel = "<view>",
      description = "The views to backfill, e.g. user_activity.")
  List<String> views;

  @Option(
      names = "--input",
      paramLabel = "<path>",
      description = "JSON events, one per line: a file, or a folder whose files are all read.")
  String input;

  @Option(
      names = "--kafka",
      paramLabel = "<bootstrap>",
      description =
          "Read each view's topic from this Kafka instead of --input; with --to (default:"
              + " FRESHET_KAFKA, when --to is given).")
  String kafka;

  @Option(
      names = "--from-postgres",
      paramLabel = "<table or select>",
      description =
          "Read events from this Postgres table or SELECT in the --pg-url database, one row per"
              + " event, columns named like the view's event fields (key, event time as"
              + " timestamptz or epoch ms, others); with --from/--to, by event time.")
  String fromPostgres;

  @Option(
      names = "--from",
      paramLabel = "<instant>",
      description =
          "Start of the Kafka range, by record timestamp, e.g. 2026-11-01T00:00:00Z (default: the"
              + " earliest offsets); with --from-postgres, the first event time read.")
  String from;

  @Option(
      names = "--to",
      paramLabel = "<instant>",
      description =
          "End of the Kafka range (exclusive), by record timestamp; with --from-postgres, the"
              + " event time the read stops before.")
  String to;

  @Option(
      names = "--online",
      description =
          "Also write each entity's latest row to the online table (newest wins); views served"
              + " at window ends only.")
  boolean online;

  @Mixin PostgresOption pg;
  @Mixin RedisOption redis;
  @Mixin FlinkOption flink;

  @Option(
      names = "--local",
      description = "Run in a local Flink in a child JVM even when FRESHET_FLINK is set.")
  boolean local;

  @Option(
      names = "--parallelism",
      paramLabel = "<n>",
      description =
          "Parallelism on a cluster (default: the cluster's); a local run uses one slot per core.")
  Integer parallelism;

  @Option(
      names = "--job-jar",
      paramLabel = "<jar>",
      description = "The job jar (default: the one built in flink-jobs/target).")
  Path jobJar;

  @Mixin DefinitionsOption definitions;
  @Mixin ProgressOption progress;

  @Option(
      names = "--timeout",
      defaultValue = "1h",
      converter = DurationConverter.class,
      paramLabel = "<duration>",
      description = "Give up (and stop a local run) after this long (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  private final Map<String, String> env;

  BackfillCommand() {
    this(System.getenv());
  }

  BackfillCommand(Map<String, String> env) {
    this.env = env;
  }

  /**
   * Where the history is: a file of JSON lines, a Kafka range ending at {@code to}, or a Postgres
   * table or query.
   */
  private record Source(
      String input,
      String kafka,
      Instant from,
      Instant to,
      String description,
      PostgresEvents postgres) {
    Source(String input, String kafka, Instant from, Instant to, String description) {
      this(input, kafka, from, to, description, null);
    }

    /**
     * The events the views' sources read together, if known up front: the lines of a JSON-lines
     * input this machine can read, once per view; the offsets of each view's topic in a Kafka range
     * (control records of transactions take offsets too, so the share may end below 100%). A
     * Postgres read's are not known (its count and rate show).
     */
    long eventsTotal(List<ViewPlan> plans) {
      if (input != null) {
        long lines = InputLines.count(Path.of(input));
        return lines == Progress.UNKNOWN ? lines : lines * plans.size();
      }
      if (kafka != null) {
        long total = 0;
        for (ViewPlan p : plans) {
          long n = KafkaTopics.offsetsBetween(kafka, p.source().topic(), from, to);
          if (n == Progress.UNKNOWN) {
            return n;
          }
          total += n;
        }
        return total;
      }
      return Progress.UNKNOWN;
    }
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    Definitions defs = definitions.load();
    List<ViewPlan> plans = DefinitionsOption.plans(defs, views);
    Setting flinkSetting = local ? null : flink.resolve(env);
    if (local && flink.flinkUrl != null) {
      throw new UsageException(
          "--local and --flink exclude each other: run locally or on a cluster");
    }
    if (parallelism != null && (parallelism < 1 || flinkSetting == null)) {
      throw new UsageException(
          parallelism < 1
              ? "--parallelism must be at least 1, got " + parallelism
              : "--parallelism applies to a run on a cluster (--flink); a local run uses one slot"
                  + " per core");
    }
    if (timeout.isZero() || timeout.isNegative()) {
      throw new UsageException("--timeout must be positive, got " + timeout);
    }
    Source source = source(flinkSetting != null);
    ProgressStyle progressStyle = progress.resolve();
    Setting pgSetting = pg.resolve(env);
    Setting redisSetting = online ? redis.resolve(env) : null;
    if (source.postgres() != null) {
      checkPostgresEvents(source.postgres(), pgSetting, plans);
    }
    Installation installation =
        jobJar == null || flinkSetting == null ? Installation.fromSystemProperties() : null;
    Path jar =
        jobJar != null ? SubmitCommand.requireFile(jobJar, "--job-jar") : installation.jobJar();
    DefinitionsCheck.requireSameDefinitions(jar);

    out.printf(
        "freshet backfill: %s from %s%n",
        String.join(
            ", ", plans.stream().map(p -> p.name() + " (version " + p.versionTag() + ")").toList()),
        defs.describe());
    out.flush();
    long t = System.nanoTime();
    Registries.requireApplied(Registries.open(pgSetting), pgSetting, plans, defs.jar());
    Steps.step(out, "registry", "views registered as these definitions", t);
    Steps.note(out, "source", source.description());

    BackfillJobArguments args =
        new BackfillJobArguments(
            plans.stream().map(ViewPlan::name).toList(),
            source.input(),
            source.kafka(),
            source.from(),
            source.to(),
            pgSetting.value(),
            redisSetting != null,
            redisSetting == null ? null : redisSetting.value(),
            source.postgres() == null ? null : source.postgres().relation());
    long eventsTotal =
        progressStyle == ProgressStyle.NONE ? Progress.UNKNOWN : source.eventsTotal(plans);

    Map<ViewPlan, VersionCounts> before = counts(pgSetting, plans);
    Map<ViewPlan, TileTableReads.Counts> tilesBefore = tileCounts(pgSetting, plans);
    Path tmp = Files.createTempDirectory("freshet-backfill");
    try {
      Path jobJarForDefs = defs.jobJar(jar, tmp);
      t = System.nanoTime();
      String where =
          flinkSetting == null
              ? runLocally(installation, jobJarForDefs, args, progressStyle, eventsTotal)
              : runOnCluster(flinkSetting, jobJarForDefs, args.format(), eventsTotal);
      Steps.step(out, "run", where, t);
    } finally {
      Steps.deleteQuietly(tmp);
    }
    Map<ViewPlan, VersionCounts> after = counts(pgSetting, plans);
    Map<ViewPlan, TileTableReads.Counts> tilesAfter = tileCounts(pgSetting, plans);

    out.println();
    for (ViewPlan p : plans) {
      if (p.requestTime()) {
        TileTableReads.Counts b = tilesBefore.get(p);
        TileTableReads.Counts a = tilesAfter.get(p);
        long added = a.versions() - b.versions();
        out.printf(
            "%s: %d tile version%s written to %s (served at %s; the table now holds %d"
                + " versions, %d of them never served online)%n",
            p.name(),
            added,
            added == 1 ? "" : "s",
            TileTable.of(p).qualifiedName(),
            OfflineTableChecks.serving(p),
            a.versions(),
            a.neverServed());
        continue;
      }
      VersionCounts b = before.get(p);
      VersionCounts a = after.get(p);
      OfflineTable table = OfflineTable.of(p);
      long added = a.rows() - b.rows();
      long superseded = a.superseded() - b.superseded();
      out.printf(
          "%s: %d row%s written to %s%s (the table now holds %d current rows, %d in all)%n",
          p.name(),
          added,
          added == 1 ? "" : "s",
          table.qualifiedName(),
          superseded == 0
              ? ""
              : ", " + superseded + " of them replacing rows with other values, which are kept",
          a.rows() - a.superseded(),
          a.rows());
    }
    out.printf(
        "Offline tables in %s%s.%n",
        PostgresOption.display(pgSetting.value()),
        redisSetting == null || plans.stream().allMatch(ViewPlan::requestTime)
            ? ""
            : "; each entity's latest row also in the online table at "
                + RedisOption.display(redisSetting.value()));
    List<String> requestTime =
        plans.stream().filter(ViewPlan::requestTime).map(ViewPlan::name).toList();
    if (!requestTime.isEmpty()) {
      out.printf(
          "Backfilled tiles are history only, never served online%s; to serve those a read can"
              + " still select: freshet restore-online --views %s%n",
          redisSetting == null ? "" : " (--online writes rows of window-end views only)",
          String.join(",", requestTime));
    }
    out.println(
        "Events the views could not use (malformed, or missing a key or time) are kept in"
            + " freshet.rejected_events.");
    out.flush();
    return FreshetCommand.EXIT_OK;
  }

  private Source source(boolean onCluster) {
    if (fromPostgres != null) {
      if (input != null || kafka != null) {
        throw new UsageException(
            "--from-postgres reads a Postgres table; --input reads a file and --kafka a topic:"
                + " give one of them");
      }
      Instant start = from == null ? null : instant(from, "--from");
      Instant end = to == null ? null : instant(to, "--to");
      try {
        PostgresEvents events = new PostgresEvents(fromPostgres, start, end);
        return new Source(null, null, start, end, events.describe(), events);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--from-postgres: " + e.getMessage(), e);
      }
    }
    if (input != null) {
      if (kafka != null || from != null || to != null) {
        throw new UsageException(
            "--input reads a file; --kafka, --from and --to select a Kafka range instead: give"
                + " one or the other");
      }
      Path p = Path.of(input);
      String path = input;
      if (Files.exists(p)) {
        path = p.toAbsolutePath().normalize().toString();
      } else if (!onCluster) {
        throw new UsageException("--input " + input + ": there is no such file or folder");
      }
      return new Source(
          path,
          null,
          null,
          null,
          "JSON lines in "
              + path
              + (onCluster ? " (read by the cluster's TaskManagers)" : "")
              + (Files.isDirectory(p) ? " (every file of the folder)" : ""));
    }
    if (to == null) {
      throw new UsageException(
          "say where the history is: --input events.jsonl, or --kafka <bootstrap> --to <instant>"
              + " [--from <instant>], or --from-postgres <table or select>");
    }
    Setting kafkaSetting = Setting.resolve(kafka, "--kafka", "FRESHET_KAFKA", env);
    if (kafkaSetting == null) {
      throw new UsageException(
          "--to reads a Kafka range: name the Kafka with --kafka or FRESHET_KAFKA");
    }
    Instant end = instant(to, "--to");
    Instant start = from == null ? null : instant(from, "--from");
    if (start != null && !start.isBefore(end)) {
      throw new UsageException(
          "--from " + from + " is not before --to " + to + ": the range would be empty");
    }
    return new Source(
        null,
        kafkaSetting.value(),
        start,
        end,
        "Kafka "
            + kafkaSetting.value()
            + ", records from "
            + (start == null ? "the earliest offsets" : start.toString())
            + " up to "
            + end
            + " (record timestamps)");
  }

  /** The events' relation exists and has each view's key and event-time columns. */
  private static void checkPostgresEvents(PostgresEvents events, Setting pg, List<ViewPlan> plans) {
    for (ViewPlan p : plans) {
      try {
        events.check(pg.value(), p);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--from-postgres: " + e.getMessage(), e);
      } catch (SQLException e) {
        throw OfflineTableChecks.unreachable(
            pg, new OfflineStoreException(e.getMessage(), e.getSQLState(), e));
      }
    }
  }

  private static Instant instant(String text, String flag) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new UsageException(
          flag + " '" + text + "' is not an ISO-8601 instant (write e.g. 2026-11-01T00:00:00Z)", e);
    }
  }

  private String runLocally(
      Installation installation,
      Path jar,
      BackfillJobArguments args,
      ProgressStyle style,
      long eventsTotal)
      throws IOException {
    Path dir = Files.createDirectories(installation.workDir().resolve("backfill"));
    String name = "backfill-" + LOG_NAME.format(Instant.now());
    Path log = dir.resolve(name + ".log");
    Path log4j = dir.resolve("log4j.properties");
    Files.writeString(log4j, FlinkClusterConfig.log4jProperties());
    List<String> jvmArgs = new ArrayList<>(List.of("-Xmx2g", "-XX:+UseG1GC"));
    jvmArgs.addAll(ChildJvm.FLINK_JAVA_OPTS);
    jvmArgs.add("-Dlog.file=" + log);
    jvmArgs.add("-Dlog4j.configurationFile=" + log4j.toUri());
    // With progress shown, the local Flink publishes its REST endpoint in this file and keeps it up
    // after the job until the file is gone, so the final counts are read as a cluster's are.
    Path restFile = style == ProgressStyle.NONE ? null : dir.resolve(name + ".rest");
    BackfillProgress reader =
        new BackfillProgress(
            () -> restEndpoint(restFile), null, eventsTotal, () -> deleteQuietly(restFile));
    try (ProgressTicker ticker =
        progress.start(spec.commandLine().getErr(), restFile == null ? List::of : reader::poll)) {
      ChildJvm.run(
          "local backfill",
          List.of(installation.flinkClasspath(), jar),
          jvmArgs,
          JobContract.BACKFILL_JOB_CLASS,
          restFile == null ? args.format() : args.withLocalRestFile(restFile.toString()).format(),
          dir.resolve(name + ".out"),
          timeout);
    } finally {
      deleteQuietly(restFile);
    }
    return "locally, in a child JVM (Flink log " + display(log) + ")";
  }

  /** The URL a local run wrote to {@code restFile}, or null while there is none. */
  private static URI restEndpoint(Path restFile) {
    try {
      return Files.exists(restFile) ? URI.create(Files.readString(restFile).strip()) : null;
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  private static void deleteQuietly(Path file) {
    if (file == null) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // the local run stops waiting for it after a minute
    }
  }

  private String runOnCluster(Setting flinkSetting, Path jar, List<String> args, long eventsTotal) {
    FlinkRestClient rest = new FlinkRestClient(URI.create(flinkSetting.value()));
    String jarId = rest.uploadJar(jar);
    try {
      String jobId =
          rest.runJar(
              jarId,
              new JarRunRequest(JobContract.BACKFILL_JOB_CLASS, args, parallelism, null, false));
      BackfillProgress reader = new BackfillProgress(rest::baseUri, jobId, eventsTotal, () -> {});
      try (ProgressTicker ticker = progress.start(spec.commandLine().getErr(), reader::poll)) {
        rest.awaitFinished(jobId, timeout);
      }
      return "on " + rest.baseUri() + " as job " + jobId + ", FINISHED";
    } finally {
      try {
        rest.deleteJar(jarId);
      } catch (FlinkRestException ignored) {
        // left in the cluster's upload folder; harmless
      }
    }
  }

  /** The row counts of the views served at window ends. */
  private static Map<ViewPlan, VersionCounts> counts(Setting pg, List<ViewPlan> plans) {
    Map<ViewPlan, VersionCounts> counts = new LinkedHashMap<>();
    try (OfflineSession session = OfflineTableChecks.open(pg)) {
      for (ViewPlan p : plans) {
        if (!p.requestTime()) {
          counts.put(p, session.counts(OfflineTable.of(p)));
        }
      }
    } catch (OfflineStoreException e) {
      throw OfflineTableChecks.unreachable(pg, e);
    }
    return counts;
  }

  /** The tile version counts of the views served at request time. */
  private static Map<ViewPlan, TileTableReads.Counts> tileCounts(Setting pg, List<ViewPlan> plans) {
    Map<ViewPlan, TileTableReads.Counts> counts = new LinkedHashMap<>();
    if (plans.stream().noneMatch(ViewPlan::requestTime)) {
      return counts;
    }
    try (TileTableReads c = TileTableReads.open(pg.value(), OfflineTableChecks.APPLICATION_NAME)) {
      for (ViewPlan p : plans) {
        if (p.requestTime()) {
          counts.put(p, c.counts(TileTable.of(p)));
        }
      }
    } catch (OfflineStoreException e) {
      throw OfflineTableChecks.unreachable(pg, e);
    } catch (IllegalArgumentException e) {
      throw OfflineTableChecks.unreachable(
          pg, new OfflineStoreException(e.getMessage(), "08001", e));
    }
    return counts;
  }

  private static String display(Path p) {
    Path cwd = Path.of("").toAbsolutePath();
    Path abs = p.toAbsolutePath();
    return abs.startsWith(cwd) ? cwd.relativize(abs).toString() : abs.toString();
  }
}
