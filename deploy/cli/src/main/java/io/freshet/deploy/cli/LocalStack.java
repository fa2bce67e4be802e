package io.freshet.deploy.cli;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.deploy.flink.JarRunRequest;
import io.freshet.deploy.flink.JobDetails;
import io.freshet.deploy.stack.ConsoleSources;
import io.freshet.deploy.stack.FlinkClusterConfig;
import io.freshet.deploy.stack.FlinkSessionCluster;
import io.freshet.deploy.stack.KafkaBroker;
import io.freshet.deploy.stack.KafkaTopics;
import io.freshet.deploy.stack.Ports;
import io.freshet.deploy.stack.PostgresEndpoint;
import io.freshet.deploy.stack.RedisEndpoint;
import io.freshet.deploy.stack.StackException;
import io.freshet.deploy.stack.SupervisedGateway;
import io.freshet.deploy.stack.SupervisedJob;
import io.freshet.deploy.stack.Supervisor;
import io.freshet.flink.compile.JobSettings;
import io.freshet.flink.job.FeatureJobArguments;
import io.freshet.flink.job.JobContract;
import io.freshet.gateway.GatewayConfig;
import io.freshet.gateway.auth.BearerTokens;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.freshet.registry.Plan;
import io.freshet.registry.Registry;
import io.freshet.registry.RegistryException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The local stack behind {@code freshet demo}: Postgres and Redis (found, or embedded), the
 * registry with the views applied, a Kafka broker and a Flink session cluster in child JVMs (or the
 * ones named), the streaming job and the gateway. Each part is added to the teardown as it starts,
 * and what can die is watched by the supervisor, which restarts it.
 */
final class LocalStack {
  private static final int TOPIC_PARTITIONS = 2;

  private LocalStack() {}

  /**
   * What {@link #start} starts, resolved before anything starts.
   *
   * @param flinkClasspath null when {@code flink} names a cluster to use
   * @param kafkaClasspath null when {@code kafka} names a Kafka to use
   * @param pg null (look on the default port) or the configured Postgres; likewise redis, kafka,
   *     flink
   * @param tokens the gateway's bearer tokens ({@code FRESHET_GATEWAY_TOKENS}), or disabled
   */
  record Setup(
      Path workDir,
      Path jobJar,
      Path flinkClasspath,
      Path kafkaClasspath,
      Setting pg,
      Setting redis,
      Setting kafka,
      Setting flink,
      BearerTokens tokens) {}

  /**
   * What runs once {@link #start} returns.
   *
   * @param checkpoints the local cluster's checkpoint folder, or null on a cluster named by {@code
   *     --flink}
   */
  record Running(
      PostgresEndpoint pg,
      RedisEndpoint redis,
      FlinkRestClient rest,
      String bootstrap,
      SupervisedJob job,
      SupervisedGateway gateway,
      Path checkpoints) {}

  /**
   * Starts the stack for {@code views} of {@code defs}, printing a line per part, and starts the
   * supervisor; everything started is in {@code teardown}, even when a later part fails.
   */
  static Running start(
      PrintWriter out,
      Teardown teardown,
      Supervisor supervisor,
      Setup setup,
      Definitions defs,
      List<ViewPlan> views,
      int flinkUiPort,
      int gatewayPort,
      Duration checkpointInterval)
      throws Exception {
    Path workDir = setup.workDir();
    Path jar = setup.jobJar();
    Path flinkClasspath = setup.flinkClasspath();
    Path kafkaClasspath = setup.kafkaClasspath();
    Setting pgSetting = setup.pg();
    Setting redisSetting = setup.redis();
    Setting kafkaSetting = setup.kafka();
    Setting flinkSetting = setup.flink();
    Path checkpoints = null;
    Catalog catalog = defs.catalog();
    List<String> topics =
        views.stream()
            .filter(v -> !v.tableSourced())
            .map(v -> v.source().topic())
            .distinct()
            .toList();

    long t = System.nanoTime();
    PostgresEndpoint pg =
        PostgresEndpoint.locate(Setting.valueOrNull(pgSetting), Setting.sourceOrNull(pgSetting));
    if (pg.startedHere()) {
      teardown.add("embedded Postgres", pg::close);
    }
    step(out, "postgres", pg.displayUrl() + " (" + pg.origin() + ")", t);

    t = System.nanoTime();
    Registry registry = openRegistry(pg);
    step(out, "registry", register(registry, catalog, defs, pg), t);

    t = System.nanoTime();
    RedisEndpoint redis =
        RedisEndpoint.locate(
            Setting.valueOrNull(redisSetting), Setting.sourceOrNull(redisSetting), workDir);
    if (redis.startedHere()) {
      teardown.add("embedded Redis", redis::close);
    }
    step(out, "redis", redis.url() + " (" + redis.origin() + ")", t);

    // The broker starts in the background while Flink comes up.
    CompletableFuture<KafkaBroker> brokerStart = null;
    long kafkaStart = System.nanoTime();
    if (kafkaSetting == null) {
      int kafkaPort = Ports.free();
      brokerStart =
          CompletableFuture.supplyAsync(
              () -> KafkaBroker.start(kafkaClasspath, workDir, kafkaPort));
      CompletableFuture<KafkaBroker> f = brokerStart;
      teardown.add(
          "Kafka broker",
          () -> {
            KafkaBroker b = joinQuietly(f);
            if (b != null) {
              b.close();
            }
          });
    }

    t = System.nanoTime();
    FlinkRestClient rest;
    if (flinkSetting == null) {
      FlinkClusterConfig config =
          FlinkClusterConfig.local(flinkUiPort, Ports.free(), workDir.resolve("flink/data"));
      FlinkSessionCluster cluster = FlinkSessionCluster.start(flinkClasspath, workDir, config);
      teardown.add("Flink JobManager and TaskManager", cluster::close);
      supervisor.watch(cluster);
      checkpoints = config.checkpointsDir();
      rest = cluster.rest();
      step(
          out,
          "flink",
          "session cluster: 1 TaskManager, "
              + config.taskSlots()
              + " slots, RocksDB, web UI "
              + rest.baseUri(),
          t);
    } else {
      rest = new FlinkRestClient(URI.create(flinkSetting.value()));
      var overview = rest.overview();
      step(
          out,
          "flink",
          "cluster at "
              + rest.baseUri()
              + " (from "
              + flinkSetting.source()
              + "): Flink "
              + overview.flinkVersion()
              + ", "
              + overview.slotsAvailable()
              + " free slots",
          t);
    }

    String bootstrap;
    String topicList = String.join(", ", topics);
    if (brokerStart != null) {
      KafkaBroker broker = join(brokerStart);
      supervisor.watch(broker);
      for (String topic : topics) {
        broker.createTopic(topic, TOPIC_PARTITIONS);
      }
      bootstrap = broker.bootstrapServers();
      step(
          out,
          "kafka",
          "broker on "
              + bootstrap
              + ", "
              + (topics.size() == 1 ? "topic " : "topics ")
              + topicList
              + " ("
              + TOPIC_PARTITIONS
              + " partitions)",
          kafkaStart);
    } else {
      t = System.nanoTime();
      bootstrap = kafkaSetting.value();
      for (String topic : topics) {
        KafkaTopics.ensure(bootstrap, kafkaSetting.source(), topic, TOPIC_PARTITIONS);
      }
      step(
          out,
          "kafka",
          bootstrap
              + " (from "
              + kafkaSetting.source()
              + "), "
              + (topics.size() == 1 ? "topic " : "topics ")
              + topicList,
          t);
    }

    t = System.nanoTime();
    // Table-sourced views are loaded by materialize, never by the streaming job.
    List<String> viewNames =
        views.stream().filter(v -> !v.tableSourced()).map(ViewPlan::name).toList();
    SupervisedJob supervisedJob =
        SupervisedJob.submit(
            rest,
            defs.jobJar(jar, workDir.resolve("job")),
            JarRunRequest.of(
                JobContract.FEATURE_JOB_CLASS,
                jobArgs(viewNames, bootstrap, pg.jdbcUrl(), redis.url(), checkpointInterval)),
            checkpoints);
    String jobId = supervisedJob.id();
    teardown.add("Flink job", supervisedJob::cancel);
    if (checkpoints != null) {
      supervisor.watch(supervisedJob);
    }
    JobDetails job = rest.awaitRunning(jobId, Duration.ofMinutes(2));
    step(out, "job", jobId + " \"" + job.name() + "\" RUNNING", t);

    t = System.nanoTime();
    SupervisedGateway gateway =
        SupervisedGateway.start(
            new GatewayConfig(gatewayPort, redis.url(), catalog)
                .withViews(Registries.follow(registry))
                .withFeatureServices(FeatureServiceResolver.ofServices(catalog.services()))
                .withKafka(bootstrap)
                .withTokens(setup.tokens())
                .withConsole(ConsoleSources.of(pg.jdbcUrl(), rest)));
    teardown.add("gateway", gateway::close);
    step(
        out,
        "gateway",
        "http://localhost:"
            + gateway.port()
            + " (serves every view applied to the registry and the definitions' feature services;"
            + " POST /push produces to "
            + bootstrap
            + "; console at /console)",
        t);
    supervisor.watch(gateway);
    supervisor.start();
    teardown.add("supervisor", supervisor::close);
    return new Running(pg, redis, rest, bootstrap, supervisedJob, gateway, checkpoints);
  }

  private static Registry openRegistry(PostgresEndpoint pg) {
    try {
      return Registry.open(pg.jdbcUrl());
    } catch (RegistryException e) {
      throw new StackException(
          "could not open the registry in " + pg.displayUrl() + ": " + e.getMessage(), e);
    }
  }

  /** Registers the views of {@code defs} in the registry, as {@code freshet apply} would. */
  private static String register(
      Registry registry, Catalog catalog, Definitions defs, PostgresEndpoint pg) {
    try {
      Plan plan =
          registry.apply(registry.plan(catalog.plans().stream().map(ViewPlan::view).toList()));
      return (defs.jar() == null ? "example views" : "views of " + defs.describe())
          + " applied ("
          + plan.summary()
          + ")";
    } catch (RegistryException e) {
      throw new StackException(
          "could not register the views of "
              + defs.describe()
              + " in "
              + pg.displayUrl()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** The streaming job's arguments: from the earliest offsets, checkpointing as asked. */
  static List<String> jobArgs(
      List<String> views,
      String bootstrap,
      String jdbcUrl,
      String redisUri,
      Duration checkpointInterval) {
    return FeatureJobArguments.of(views, bootstrap, jdbcUrl, redisUri)
        .withCheckpointIntervalMillis(checkpointInterval.toMillis())
        .withStartingOffsets(JobSettings.StartingOffsets.EARLIEST)
        .format();
  }

  /** Prints one aligned line per part started, with its duration. */
  static void step(PrintWriter out, String name, String what, long startNanos) {
    out.printf("  %-9s %5.1f s  %s%n", name, (System.nanoTime() - startNanos) / 1e9, what);
    out.flush();
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  private static <T> T joinQuietly(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
