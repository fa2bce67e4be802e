package io.freshet.deploy.cli;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.flink.ClusterOverview;
import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.deploy.flink.FlinkRestException;
import io.freshet.deploy.flink.JarRunRequest;
import io.freshet.deploy.flink.JobDetails;
import io.freshet.deploy.flink.JobFailure;
import io.freshet.deploy.flink.JobStartException;
import io.freshet.deploy.flink.JobSummary;
import io.freshet.deploy.flink.RestoredCheckpoint;
import io.freshet.deploy.stack.DefinitionsCheck;
import io.freshet.deploy.stack.Installation;
import io.freshet.deploy.stack.KafkaTopics;
import io.freshet.deploy.stack.StackException;
import io.freshet.dsl.Durations;
import io.freshet.flink.compile.JobSettings;
import io.freshet.flink.job.FeatureJobArguments;
import io.freshet.flink.job.JobContract;
import io.freshet.plan.ViewPlan;
import io.freshet.registry.Registry;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code freshet submit}: uploads the job jar to a Flink cluster over its REST API and runs the
 * streaming job for the given views; with {@code --upgrade}, replaces the job running those views,
 * carrying its state over through a savepoint.
 */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Submits the streaming job for the given views to a Flink cluster.",
      "",
      "Uploads the job jar over Flink's REST API and runs io.freshet.flink.FeatureJob, named"
          + " \"freshet: <views>\". The views must be registered (freshet apply) with the same"
          + " definitions, so that the job writes the version the gateway and the training sets"
          + " read.",
      "",
      "--upgrade replaces the running job of these views: it stops that job with a savepoint"
          + " (without draining: open windows stay open) and starts the new jar from it, so"
          + " window state and Kafka offsets carry over. --views may add views to the job (they"
          + " start empty) but not leave any out. A view whose meaning changed since the job"
          + " started cannot be upgraded in place; the command says so and stops nothing.",
      "",
      "Before uploading, it checks that the cluster has the task slots the job needs and that"
          + " the views' topics exist (--create-topics creates missing ones). A job that fails 3"
          + " times before all its tasks run is cancelled, not left restarting, and the command"
          + " prints Flink's reason.",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the job is running",
      "1:the cluster, the registry, the savepoint or the job failed (the message says which;"
          + " after a stop, it names the savepoint to resume from)",
      "2:the definitions or the command line are invalid"
    })
final class SubmitCommand implements Callable<Integer> {
  /** Failures before every task ran after which a new job counts as unable to start. */
  static final int STARTUP_FAILURES = 3;

  @Spec CommandSpec spec;

  @Option(
      names = {"--views", "--view"},
      required = true,
      split = ",",
      paramLabel = "<view>",
      description = "The views the job runs, e.g. user_activity,user_activity_live.")
  List<String> views;

  @Option(
      names = "--parallelism",
      paramLabel = "<n>",
      description = "Parallelism of the job (default: the cluster's parallelism.default).")
  Integer parallelism;

  @Option(
      names = "--savepoint",
      paramLabel = "<path>",
      description = "Start from this savepoint or retained checkpoint (e.g. to rescale).")
  String savepoint;

  @Option(
      names = "--upgrade",
      description =
          "Replace the running job of these views: stop it with a savepoint, start from it.")
  boolean upgrade;

  @Option(
      names = "--savepoint-dir",
      paramLabel = "<dir>",
      description =
          "Where --upgrade writes the savepoint, as the cluster sees it, e.g. s3://bucket/sp"
              + " (default: the cluster's execution.checkpointing.savepoint-dir).")
  String savepointDir;

  @Mixin FlinkOption flink;
  @Mixin KafkaOption kafka;
  @Mixin PostgresOption pg;
  @Mixin RedisOption redis;

  @Option(
      names = "--checkpoint-interval",
      defaultValue = "10s",
      converter = DurationConverter.class,
      paramLabel = "<duration>",
      description =
          "Checkpoint interval; results reach Postgres and Redis at each checkpoint (default:"
              + " ${DEFAULT-VALUE}).")
  Duration checkpointInterval;

  @Option(
      names = "--starting-offsets",
      paramLabel = "<where>",
      description =
          "Where a view without restored state starts reading: earliest, latest or committed"
              + " (the consumer group's offsets, else earliest; the job's default).")
  String startingOffsets;

  @Option(
      names = "--group-id",
      paramLabel = "<id>",
      description = "Kafka consumer group of the job (the job's default: freshet-features).")
  String groupId;

  @Option(
      names = "--rejected-events-topic",
      paramLabel = "<topic>",
      description =
          "Keep dead letters and late events in this Kafka topic (default: the Postgres table"
              + " freshet.rejected_events).")
  String rejectedEventsTopic;

  @Option(
      names = "--job-jar",
      paramLabel = "<jar>",
      description = "The job jar to submit (default: the one built in flink-jobs/target).")
  Path jobJar;

  @Mixin DefinitionsOption definitions;

  @Option(
      names = "--create-topics",
      description =
          "Create the topics of the views that do not exist yet. Without it, a missing topic"
              + " stops the command before anything is uploaded.")
  boolean createTopics;

  @Option(
      names = "--partitions",
      paramLabel = "<n>",
      description =
          "Partitions of the topics --create-topics creates (default: the job's parallelism).")
  Integer partitions;

  @Option(
      names = "--replication-factor",
      paramLabel = "<n>",
      description =
          "Replication factor of the topics --create-topics creates (default: 3, or the number of"
              + " brokers when there are fewer).")
  Short replicationFactor;

  @Option(
      names = "--no-topic-check",
      description =
          "Do not check that the topics exist (when only the Flink cluster can reach Kafka).")
  boolean noTopicCheck;

  @Option(
      names = "--timeout",
      defaultValue = "5m",
      converter = DurationConverter.class,
      paramLabel = "<duration>",
      description =
          "How long to wait for the savepoint, and for the job to run (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  private final Map<String, String> env;

  SubmitCommand() {
    this(System.getenv());
  }

  SubmitCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() throws IOException {
    validateOptions();
    PrintWriter out = spec.commandLine().getOut();
    Definitions defs = definitions.load();
    List<ViewPlan> plans = DefinitionsOption.streamedPlans(defs, views);
    Setting flinkSetting = flink.resolve(env);
    if (flinkSetting == null) {
      throw new UsageException(
          "say which Flink cluster to submit to: --flink http://<jobmanager>:8081 or"
              + " FRESHET_FLINK");
    }
    Setting kafkaSetting = kafka.resolve(env);
    if (kafkaSetting == null) {
      throw new UsageException(
          "say which Kafka the job reads: --kafka <bootstrap servers> or FRESHET_KAFKA, as the"
              + " Flink cluster reaches it");
    }
    Setting pgSetting = pg.resolve(env);
    Setting redisSetting = redis.resolve(env);
    Path jar =
        jobJar != null
            ? requireFile(jobJar, "--job-jar")
            : Installation.fromSystemProperties().jobJar();
    DefinitionsCheck.requireSameDefinitions(jar);
    String jobName = JobContract.jobName(plans.stream().map(ViewPlan::name).toList());

    out.printf(
        "freshet submit: %s from %s%n",
        String.join(
            ", ", plans.stream().map(p -> p.name() + " (version " + p.versionTag() + ")").toList()),
        defs.describe());
    out.flush();

    long t = System.nanoTime();
    Registry registry = Registries.open(pgSetting);
    Registries.requireApplied(registry, pgSetting, plans, defs.jar());
    Steps.step(out, "registry", "views registered as these definitions", t);

    t = System.nanoTime();
    FlinkRestClient rest = new FlinkRestClient(URI.create(flinkSetting.value()));
    ClusterOverview overview = rest.overview();
    Steps.step(
        out,
        "flink",
        String.format(
            "%s (Flink %s, %d TaskManager%s, %d of %d slots free)",
            rest.baseUri(),
            overview.flinkVersion(),
            overview.taskManagers(),
            overview.taskManagers() == 1 ? "" : "s",
            overview.slotsAvailable(),
            overview.slotsTotal()),
        t);

    UpgradePlan upgradePlan = UpgradePlan.of(rest, registry, plans, upgrade);
    JobSummary previous = upgradePlan.previous();
    List<String> changed = upgradePlan.changed();
    int slots = requireSlots(out, rest, overview, previous);
    requireTopics(out, plans, kafkaSetting, slots);

    Path tmp = Files.createTempDirectory("freshet-submit");
    String jarId = null;
    try {
      t = System.nanoTime();
      Path upload = defs.jobJar(jar, tmp);
      jarId = rest.uploadJar(upload);
      Steps.step(
          out,
          "jar",
          upload.getFileName()
              + (defs.jar() == null ? "" : " (the job jar with " + defs.describe() + ")")
              + " uploaded",
          t);

      String startFrom = savepoint;
      if (previous != null) {
        t = System.nanoTime();
        try {
          String trigger = rest.stopWithSavepoint(previous.id(), savepointDir, false);
          startFrom = rest.awaitSavepoint(previous.id(), trigger, timeout);
        } catch (FlinkRestException e) {
          throw new FlinkRestException(
              e.getMessage()
                  + "\nNothing new was started. Flink keeps job "
                  + previous.id()
                  + " running when its stop-with-savepoint fails; check it in the web UI at "
                  + rest.baseUri(),
              e.status(),
              e.errors(),
              e);
        }
        String finalState = rest.awaitTerminal(previous.id(), timeout);
        Steps.step(
            out,
            "stopped",
            "job " + previous.id() + " \"" + previous.name() + "\" " + finalState,
            t);
        Steps.note(out, "savepoint", startFrom);
      }

      t = System.nanoTime();
      String jobId = null;
      JobDetails job;
      try {
        jobId =
            rest.runJar(
                jarId,
                new JarRunRequest(
                    JobContract.FEATURE_JOB_CLASS,
                    jobArgs(plans, kafkaSetting, pgSetting, redisSetting),
                    parallelism,
                    startFrom,
                    !changed.isEmpty()));
        job = awaitStartedOrCancel(rest, jobId);
      } catch (FlinkRestException e) {
        if (previous == null) {
          throw e;
        }
        throw new FlinkRestException(
            e.getMessage()
                + "\nThe previous job "
                + previous.id()
                + " is stopped; its state is in the savepoint "
                + startFrom
                + ". "
                + (jobId == null ? "" : "Cancel job " + jobId + " if it is still listed. ")
                + "Once the cause is fixed, resume with: freshet submit --views "
                + String.join(",", views)
                + " --savepoint "
                + startFrom
                + " (add --job-jar <the previous jar> to go back to it)",
            e.status(),
            e.errors(),
            e);
      }
      List<JobFailure> failures = rest.failures(jobId);
      Optional<RestoredCheckpoint> restored = rest.restored(jobId);
      Steps.step(
          out,
          "job",
          jobId
              + " \""
              + job.name()
              + "\" RUNNING"
              + restored
                  .map(
                      r ->
                          ", restored from "
                              + (r.savepoint() ? "savepoint " : "checkpoint ")
                              + r.externalPath())
                  .orElse(startFrom == null ? ", no state to restore" : ""),
          t);
      if (!failures.isEmpty()) {
        JobFailure first = failures.get(failures.size() - 1);
        out.printf(
            "  note: the job runs after %d failure%s while starting; the first:%n    %s%n",
            failures.size(), failures.size() == 1 ? "" : "s", first.reason().replace("\n", "\n  "));
      }
      if (startFrom != null && restored.isEmpty()) {
        out.printf(
            "  note: Flink reports no restored state yet for job %s; check its checkpoints in the"
                + " web UI%n",
            jobId);
      }
      if (previous != null) {
        upgradePlan.describe(out, plans);
        if (!changed.isEmpty()) {
          out.printf(
              "  %s: meaning changed, so this is a new view version with its own tables; it starts"
                  + " from empty windows and fresh Kafka offsets (state of the old version was left"
                  + " in the savepoint). Fill its history with: freshet backfill --views <view>%n",
              String.join("; ", changed));
        }
      }
      if (!job.name().equals(jobName)) {
        out.printf("  note: the job is named \"%s\", expected \"%s\"%n", job.name(), jobName);
      }
      out.printf(
          "%nResults reach %s and %s at each checkpoint (every %s).%n",
          PostgresOption.display(pgSetting.value()),
          RedisOption.display(redisSetting.value()),
          Durations.format(checkpointInterval));
      out.print(servingNote(plans, checkpointInterval));
      out.printf("Flink web UI: %s/#/job/running/%s/overview%n", rest.baseUri(), jobId);
      out.flush();
      return FreshetCommand.EXIT_OK;
    } finally {
      if (jarId != null) {
        try {
          // The cluster keeps its own copy of a submitted job's jar; the upload is not needed.
          rest.deleteJar(jarId);
        } catch (FlinkRestException ignored) {
          // left in the cluster's upload folder; harmless
        }
      }
      Steps.deleteQuietly(tmp);
    }
  }

  /**
   * When the views' values change at the gateway: a view served at request time after the
   * checkpoint that follows an event, a window-end view once its window closes. Empty when all
   * views are served at window ends (the line above says it all).
   */
  static String servingNote(List<ViewPlan> plans, Duration checkpointInterval) {
    List<String> live =
        plans.stream()
            .filter(ViewPlan::requestTime)
            .map(
                p ->
                    p.name()
                        + " (tiles of "
                        + Durations.format(Duration.ofMillis(p.tileMillis()))
                        + ")")
            .toList();
    if (live.isEmpty()) {
      return "";
    }
    List<String> windowEnd =
        plans.stream().filter(p -> !p.requestTime()).map(ViewPlan::name).toList();
    return "Served at request time: "
        + String.join(", ", live)
        + ", an event counts at the gateway after the next checkpoint (within "
        + Durations.format(checkpointInterval)
        + " and the checkpoint's own time)"
        + (windowEnd.isEmpty()
            ? ""
            : "; " + String.join(", ", windowEnd) + " once the event's window closes")
        + ".\n";
  }

  /**
   * The task slots the job needs (its parallelism: every operator shares one slot group); fails
   * when the cluster has fewer free, counting the slots of a job {@code --upgrade} replaces.
   */
  private int requireSlots(
      PrintWriter out, FlinkRestClient rest, ClusterOverview overview, JobSummary previous) {
    long t = System.nanoTime();
    Map<String, String> config = rest.clusterConfig();
    int needed = parallelism != null ? parallelism : defaultParallelism(config);
    String why =
        parallelism != null ? "--parallelism " + parallelism : "the cluster's parallelism.default";
    String target = config.getOrDefault("execution.target", "");
    if ("adaptive".equalsIgnoreCase(config.get("jobmanager.scheduler"))
        || target.startsWith("kubernetes")
        || target.startsWith("yarn")) {
      Steps.note(
          out,
          "slots",
          needed + " needed (" + why + "); not checked: this cluster adds TaskManagers or adapts");
      return needed;
    }
    int held = previous == null ? 0 : slotsHeld(rest, previous);
    int free = overview.slotsAvailable() + held;
    if (needed > free) {
      List<String> holders = new ArrayList<>();
      for (JobSummary j : rest.jobs()) {
        if (j.isActive() && (previous == null || !j.id().equals(previous.id()))) {
          holders.add(j.id() + " \"" + j.name() + "\"");
        }
      }
      throw new StackException(
          String.format(
              "not enough task slots on %s for the job: needed %d (%s), free %d%s, total %d (%d"
                  + " TaskManager%s%s). Nothing was uploaded. Free slots (stop a job, or add"
                  + " TaskManagers or taskmanager.numberOfTaskSlots)%s",
              rest.baseUri(),
              needed,
              why,
              free,
              held == 0 ? "" : " (counting the " + held + " of the job --upgrade replaces)",
              overview.slotsTotal(),
              overview.taskManagers(),
              overview.taskManagers() == 1 ? "" : "s",
              holders.isEmpty() ? "" : "; running: " + String.join(", ", holders),
              free > 0 ? ", or ask for fewer with --parallelism " + free : ""));
    }
    Steps.step(
        out,
        "slots",
        String.format(
            "%d needed (%s), %d free of %d%s",
            needed,
            why,
            free,
            overview.slotsTotal(),
            held == 0 ? "" : " once the running job stops"),
        t);
    return needed;
  }

  private static int defaultParallelism(Map<String, String> config) {
    try {
      return Math.max(1, Integer.parseInt(config.getOrDefault("parallelism.default", "1").strip()));
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  /** The slots a running job holds: its greatest vertex parallelism (one slot sharing group). */
  private static int slotsHeld(FlinkRestClient rest, JobSummary job) {
    return rest.job(job.id()).vertices().stream()
        .mapToInt(JobDetails.Vertex::parallelism)
        .max()
        .orElse(0);
  }

  /**
   * Makes sure the topics the job reads (and writes rejected events to) exist: a job over a missing
   * topic fails and restarts until someone creates it. Creates them with {@code --create-topics};
   * otherwise names them and the flag.
   */
  private void requireTopics(
      PrintWriter out, List<ViewPlan> plans, Setting kafkaSetting, int jobParallelism) {
    if (noTopicCheck) {
      Steps.note(out, "kafka", "topics not checked (--no-topic-check)");
      return;
    }
    long t = System.nanoTime();
    Map<String, String> users = new LinkedHashMap<>();
    for (ViewPlan p : plans) {
      users.merge(p.source().topic(), "view " + p.name(), (a, b) -> a + ", " + b);
    }
    if (rejectedEventsTopic != null) {
      users.merge(rejectedEventsTopic, "--rejected-events-topic", (a, b) -> a + ", " + b);
    }
    String bootstrap = kafkaSetting.value();
    List<String> missing;
    try {
      missing = KafkaTopics.missing(bootstrap, kafkaSetting.source(), users.keySet());
    } catch (StackException e) {
      throw new StackException(
          e.getMessage()
              + " Nothing was uploaded. If only the Flink cluster can reach this Kafka, submit"
              + " with --no-topic-check",
          e);
    }
    List<String> present = users.keySet().stream().filter(x -> !missing.contains(x)).toList();
    if (missing.isEmpty()) {
      Steps.step(
          out, "kafka", "topic" + plural(present) + " " + quoted(present) + exist(present), t);
      return;
    }
    int brokers = KafkaTopics.brokers(bootstrap, kafkaSetting.source());
    short rf = replicationFactor != null ? replicationFactor : (short) Math.min(3, brokers);
    int n = partitions != null ? partitions : jobParallelism;
    List<String> described =
        missing.stream().map(x -> "'" + x + "' (" + users.get(x) + ")").toList();
    if (!createTopics) {
      throw new StackException(
          String.format(
              "topic%s %s %s not exist on %s (from %s), and the job would fail and restart until"
                  + " %s. Nothing was uploaded. Add --create-topics to create %s (%d partition%s"
                  + " and replication factor %d; change them with --partitions and"
                  + " --replication-factor), or create %s yourself",
              plural(missing),
              String.join(", ", described),
              missing.size() == 1 ? "does" : "do",
              bootstrap,
              kafkaSetting.source(),
              missing.size() == 1 ? "it does" : "they do",
              missing.size() == 1 ? "it" : "them",
              n,
              n == 1 ? "" : "s",
              rf,
              missing.size() == 1 ? "it" : "them"));
    }
    if (rf > brokers) {
      throw new UsageException(
          "--replication-factor "
              + rf
              + " is more than the "
              + brokers
              + " broker"
              + (brokers == 1 ? "" : "s")
              + " of "
              + bootstrap
              + " can hold; use at most "
              + brokers);
    }
    KafkaTopics.create(bootstrap, missing, n, rf);
    Steps.step(
        out,
        "kafka",
        String.format(
            "created topic%s %s (%d partition%s, replication factor %d)%s",
            plural(missing),
            quoted(missing),
            n,
            n == 1 ? "" : "s",
            rf,
            present.isEmpty() ? "" : "; " + quoted(present) + exist(present)),
        t);
  }

  private static String exist(List<String> items) {
    return items.size() == 1 ? " exists" : " exist";
  }

  private static String plural(List<String> items) {
    return items.size() == 1 ? "" : "s";
  }

  private static String quoted(List<String> items) {
    return String.join(", ", items.stream().map(x -> "'" + x + "'").toList());
  }

  /**
   * Waits for the job to run; a job that fails while starting is cancelled, not left restarting,
   * and the error carries Flink's reason.
   */
  private JobDetails awaitStartedOrCancel(FlinkRestClient rest, String jobId) {
    try {
      return rest.awaitStarted(jobId, timeout, STARTUP_FAILURES);
    } catch (JobStartException e) {
      String outcome;
      try {
        String state = rest.cancelAndWait(jobId, Duration.ofSeconds(60));
        outcome =
            "CANCELED".equals(state)
                ? "The job was cancelled rather than left restarting."
                : "The job ended " + state + ".";
      } catch (FlinkRestException c) {
        outcome = "Cancelling the job failed (" + c.getMessage() + "): cancel it in the web UI.";
      }
      throw new FlinkRestException(
          e.getMessage()
              + "\n"
              + outcome
              + " Its exceptions: "
              + rest.baseUri()
              + "/#/job/completed/"
              + jobId
              + "/exceptions",
          e.status(),
          e.errors(),
          e);
    }
  }

  /** The program arguments of the streaming job. */
  List<String> jobArgs(
      List<ViewPlan> plans, Setting kafkaSetting, Setting pgSetting, Setting redisSetting) {
    FeatureJobArguments args =
        FeatureJobArguments.of(
                plans.stream().map(ViewPlan::name).toList(),
                kafkaSetting.value(),
                pgSetting.value(),
                redisSetting.value())
            .withCheckpointIntervalMillis(checkpointInterval.toMillis())
            .withGroupId(groupId)
            .withRejectedEventsTopic(rejectedEventsTopic);
    if (startingOffsets != null) {
      args =
          args.withStartingOffsets(
              JobSettings.StartingOffsets.valueOf(startingOffsets.toUpperCase(Locale.ROOT)));
    }
    return args.format();
  }

  private void validateOptions() {
    if (upgrade && savepoint != null) {
      throw new UsageException(
          "--upgrade takes its savepoint from the running job; leave out --savepoint "
              + savepoint
              + " (or leave out --upgrade to start from that savepoint)");
    }
    if (savepointDir != null && !upgrade) {
      throw new UsageException(
          "--savepoint-dir is where --upgrade writes its savepoint; add --upgrade");
    }
    if (parallelism != null && parallelism < 1) {
      throw new UsageException("--parallelism must be at least 1, got " + parallelism);
    }
    if (checkpointInterval.toMillis() < 1000) {
      throw new UsageException(
          "--checkpoint-interval must be at least 1s, got " + Durations.format(checkpointInterval));
    }
    if (startingOffsets != null
        && !List.of("earliest", "latest", "committed")
            .contains(startingOffsets.toLowerCase(Locale.ROOT))) {
      throw new UsageException(
          "--starting-offsets must be earliest, latest or committed, got " + startingOffsets);
    }
    if (partitions != null && partitions < 1) {
      throw new UsageException("--partitions must be at least 1, got " + partitions);
    }
    if (replicationFactor != null && replicationFactor < 1) {
      throw new UsageException("--replication-factor must be at least 1, got " + replicationFactor);
    }
    if ((partitions != null || replicationFactor != null) && !createTopics) {
      throw new UsageException(
          (partitions != null ? "--partitions" : "--replication-factor")
              + " applies to the topics --create-topics creates; add --create-topics");
    }
    if (createTopics && noTopicCheck) {
      throw new UsageException(
          "--create-topics needs to see which topics exist; leave out --no-topic-check");
    }
    if (timeout.isZero() || timeout.isNegative()) {
      throw new UsageException("--timeout must be positive, got " + timeout);
    }
  }

  static Path requireFile(Path p, String flag) {
    if (!Files.isRegularFile(p)) {
      throw new UsageException(flag + " " + p + " is not a file");
    }
    return p.toAbsolutePath();
  }
}
