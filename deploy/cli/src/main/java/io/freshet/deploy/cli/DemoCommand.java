package io.freshet.deploy.cli;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.deploy.flink.FlinkRestException;
import io.freshet.deploy.generator.EventGenerator;
import io.freshet.deploy.generator.EventProducer;
import io.freshet.deploy.generator.UserEvent;
import io.freshet.deploy.stack.DefinitionsCheck;
import io.freshet.deploy.stack.Installation;
import io.freshet.deploy.stack.Ports;
import io.freshet.deploy.stack.PostgresEndpoint;
import io.freshet.deploy.stack.StackException;
import io.freshet.deploy.stack.SupervisedGateway;
import io.freshet.deploy.stack.SupervisedJob;
import io.freshet.deploy.stack.Supervisor;
import io.freshet.dsl.Durations;
import io.freshet.examples.UserActivity;
import io.freshet.examples.UserProfile;
import io.freshet.gateway.auth.BearerTokens;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.TileTable;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code freshet demo}: the whole platform on one machine. Starts (or finds) Postgres and Redis,
 * starts a Kafka broker and a Flink session cluster in child JVMs, submits the streaming job for
 * the example views over Flink's REST API, starts the gateway and a generator of sample events, and
 * prints where to look. Runs until stopped, then stops everything it started.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs the whole platform locally on the example views.",
      "",
      "Postgres and Redis (found, or embedded), a Kafka broker, a Flink session cluster, the"
          + " streaming job for user_activity and user_activity_live, the gateway, and a"
          + " generator of sample events. Stops everything it started on Ctrl-C or after"
          + " --duration. Logs and data go to .freshet/demo/ in the checkout.",
      "",
      "user_activity_live is served at request time: an event, for a new user too, counts"
          + " (once) at GET /features/user_activity_live/<user> after the job's next checkpoint,"
          + " every second in the demo. user_activity is served at window ends: it changes once"
          + " the event's window closes.",
      "",
      "With --definitions <jar> it runs your views instead (their topics created on the"
          + " broker, no generator: send events with `freshet produce`). The gateway follows"
          + " the registry either way, so a view you apply and submit later is served too.",
      "",
      "With FRESHET_GATEWAY_TOKENS (or FRESHET_GATEWAY_TOKENS_FILE) set, the gateway asks for"
          + " a bearer token as `freshet serve` does.",
      ""
    })
final class DemoCommand implements Callable<Integer> {
  static final List<String> VIEWS = List.of("user_activity", "user_activity_live", "user_lifetime");
  static final Duration HISTORY = Duration.ofMinutes(70);
  private static final Duration MAX_STOP_TIME = Duration.ofMinutes(3);

  @Spec CommandSpec spec;

  @Mixin DefinitionsOption definitions;

  @Option(
      names = "--duration",
      converter = DurationConverter.class,
      paramLabel = "<duration>",
      description = "Stop after this long, e.g. 5m or 1h30m (default: run until Ctrl-C).")
  Duration duration;

  @Option(
      names = "--pg-url",
      paramLabel = "<jdbc-url>",
      description =
          "Postgres for the offline table (default: FRESHET_PG_URL, else 127.0.0.1:5432 as user"
              + " postgres, else an embedded server).")
  String pgUrl;

  @Option(
      names = "--redis-url",
      paramLabel = "<redis-url>",
      description =
          "Redis for the online table (default: FRESHET_REDIS_URL, else 127.0.0.1:6379, else an"
              + " embedded server).")
  String redisUrl;

  @Option(
      names = "--kafka",
      paramLabel = "<bootstrap>",
      description =
          "Use this Kafka instead of starting a local broker (default: FRESHET_KAFKA, else a"
              + " local broker on a free port).")
  String kafka;

  @Option(
      names = "--flink",
      paramLabel = "<rest-url>",
      description =
          "Submit to this Flink cluster instead of starting a local one (default: FRESHET_FLINK,"
              + " else a local session cluster). It must reach Kafka, Postgres and Redis at the"
              + " addresses above.")
  String flink;

  @Option(
      names = "--port",
      defaultValue = "8080",
      paramLabel = "<port>",
      description = "Port of the gateway (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--flink-ui-port",
      defaultValue = "8081",
      paramLabel = "<port>",
      description =
          "Port of the local Flink cluster's REST API and web UI (default: ${DEFAULT-VALUE}).")
  int flinkUiPort;

  @Option(
      names = "--users",
      defaultValue = "200",
      paramLabel = "<n>",
      description = "How many distinct users the generator simulates (default: ${DEFAULT-VALUE}).")
  int users;

  @Option(
      names = "--events-per-second",
      defaultValue = "5",
      paramLabel = "<rate>",
      description = "Rate of live events, and of the replayed history (default: ${DEFAULT-VALUE}).")
  double eventsPerSecond;

  @Option(
      names = "--seed",
      defaultValue = "42",
      paramLabel = "<seed>",
      description = "Seed of the event generator; the same seed gives the same users and mix.")
  long seed;

  /**
   * The demo job checkpoints every second: a view served at request time shows an event after the
   * next checkpoint, so this bounds how long a user waits to see one.
   */
  static final String CHECKPOINT_INTERVAL = "1s";

  @Option(
      names = "--checkpoint-interval",
      defaultValue = CHECKPOINT_INTERVAL,
      converter = DurationConverter.class,
      paramLabel = "<duration>",
      description =
          "Checkpoint interval of the job; results reach Postgres and Redis at each checkpoint,"
              + " so an event shows in a view served at request time after the next one"
              + " (default: ${DEFAULT-VALUE}).")
  Duration checkpointInterval;

  @Option(
      names = "--job-jar",
      paramLabel = "<jar>",
      description = "The job jar to submit (default: the one built in flink-jobs/target).")
  Path jobJar;

  private final Map<String, String> env;
  private BearerTokens tokens = BearerTokens.disabled();
  private final Clock clock;

  DemoCommand() {
    this(System.getenv(), Clock.systemUTC());
  }

  DemoCommand(Map<String, String> env, Clock clock) {
    this.env = env;
    this.clock = clock;
  }

  @Override
  public Integer call() throws Exception {
    validateOptions();
    PrintWriter out = spec.commandLine().getOut();
    Installation installation = Installation.fromSystemProperties();
    Setting pgSetting = Setting.resolve(pgUrl, "--pg-url", "FRESHET_PG_URL", env);
    Setting redisSetting = Setting.resolve(redisUrl, "--redis-url", "FRESHET_REDIS_URL", env);
    Setting kafkaSetting = Setting.resolve(kafka, "--kafka", "FRESHET_KAFKA", env);
    Setting flinkSetting = Setting.resolve(flink, "--flink", "FRESHET_FLINK", env);
    BearerTokens tokens;
    try {
      tokens = BearerTokens.fromEnvironment(env);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage(), e);
    }
    this.tokens = tokens;

    Path workDir = installation.workDir().resolve("demo");
    Files.createDirectories(workDir);
    try (FileChannel lockFile =
            FileChannel.open(
                workDir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockFile.tryLock()) {
      if (lock == null) {
        throw new StackException(
            "another `freshet demo` is running from this checkout (it holds "
                + workDir.resolve(".lock")
                + "): stop it first");
      }
      // Preconditions first, so that a wrong port or a missing build fails before anything starts.
      Path jar = jobJar != null ? requireFile(jobJar, "--job-jar") : installation.jobJar();
      DefinitionsCheck.requireSameDefinitions(jar);
      Path flinkClasspath = flinkSetting == null ? installation.flinkClasspath() : null;
      Path kafkaClasspath = kafkaSetting == null ? installation.kafkaClasspath() : null;
      Ports.requireFree(port, "the gateway", "--port");
      if (flinkSetting == null) {
        Ports.requireFree(flinkUiPort, "the Flink web UI", "--flink-ui-port");
      }
      cleanWorkDir(workDir);
      Path logDir = Files.createDirectories(workDir.resolve("logs"));
      Logging.toFile(logDir.resolve("freshet.log"));

      StopSignal stop = StopSignal.install(MAX_STOP_TIME);
      boolean failed = false;
      stop.interruptOnSignal(Thread.currentThread());
      Teardown teardown = new Teardown();
      try {
        out.printf("freshet demo: starting the local stack (logs in %s)%n", display(logDir));
        out.flush();
        run(
            out,
            stop,
            teardown,
            new LocalStack.Setup(
                workDir,
                jar,
                flinkClasspath,
                kafkaClasspath,
                pgSetting,
                redisSetting,
                kafkaSetting,
                flinkSetting,
                tokens));
      } catch (Exception e) {
        if (stop.isRequested()) {
          out.println("interrupted while starting");
        } else if (e instanceof StackException || e instanceof FlinkRestException) {
          // Said before stopping, so that it is not lost above the teardown's lines.
          PrintWriter err = spec.commandLine().getErr();
          err.println();
          err.println("freshet demo: " + e.getMessage());
          err.flush();
          failed = true;
        } else {
          throw e;
        }
      } finally {
        stop.interruptOnSignal(null);
        Thread.interrupted();
        if (!teardown.isEmpty()) {
          out.println();
          out.println(stop.isRequested() ? "Stopping (signal received)..." : "Stopping...");
          out.flush();
          boolean clean = teardown.run(out);
          out.println(clean ? "Everything the demo started is stopped." : "Stopped, with errors.");
          out.flush();
        }
        stop.stopped();
      }
      return failed ? 1 : 0;
    }
  }

  private void run(PrintWriter out, StopSignal stop, Teardown teardown, LocalStack.Setup setup)
      throws Exception {
    Path workDir = setup.workDir();
    Instant started = Instant.now(clock);
    // Restarts what dies once everything is up; stopped first in the teardown.
    Supervisor supervisor = new Supervisor(out, stop::isRequested);
    Definitions defs = definitions.load();
    Catalog catalog = defs.catalog();
    boolean examples = defs.jar() == null;
    List<ViewPlan> views = examples ? defs.plans(VIEWS) : catalog.plans();
    LocalStack.Running stack =
        LocalStack.start(
            out, teardown, supervisor, setup, defs, views, flinkUiPort, port, checkpointInterval);
    FlinkRestClient rest = stack.rest();
    PostgresEndpoint pg = stack.pg();
    String bootstrap = stack.bootstrap();
    SupervisedJob supervisedJob = stack.job();
    SupervisedGateway gateway = stack.gateway();

    if (!examples) {
      printOwnGuide(out, views, bootstrap, rest.baseUri(), gateway.port(), started, workDir);
      stop.interruptOnSignal(null);
      watch(out, stop, rest, supervisedJob::id, gateway.port(), null, started, null);
      return;
    }

    long t = System.nanoTime();
    EventGenerator generator = new EventGenerator(seed, users);
    List<UserEvent> history = generator.history(Instant.now(clock), HISTORY, eventsPerSecond);
    String user = EventGenerator.mostActive(history);
    // The online table outlives a run: what the gateway serves now came from an earlier one.
    String previousVector = fetch(HttpClient.newHttpClient(), featuresUri(gateway.port(), user));
    EventProducer producer =
        new EventProducer(
            bootstrap, UserActivity.TOPIC, generator, history, eventsPerSecond, clock);
    teardown.add("event generator", producer::close);
    if (!producer.awaitHistory(Duration.ofMinutes(2))) {
      throw new StackException(
          "the event generator could not send the replayed history within 2 minutes; see "
              + display(workDir.resolve("logs/freshet.log")));
    }
    LocalStack.step(
        out,
        "events",
        String.format(
            "replayed %d events of the last %s for %d users; now %s per second",
            history.size(), Durations.format(HISTORY), users, formatRate(eventsPerSecond)),
        t);

    if (catalog.find(UserProfile.VIEW) != null) {
      DemoProfiles.start(
          out, teardown, setup, defs, stack.pg().jdbcUrl(), stack.redis().url(), seed, users);
    }
    printGuide(out, catalog, pg, user, rest.baseUri(), gateway.port(), bootstrap, started, workDir);
    stop.interruptOnSignal(null);
    // With auth on, the demo holds no token to read the vector with (the gateway keeps digests).
    watch(
        out,
        stop,
        rest,
        supervisedJob::id,
        gateway.port(),
        tokens.enabled() ? null : user,
        started,
        previousVector);
  }

  List<String> jobArgs(List<String> views, String bootstrap, String jdbcUrl, String redisUri) {
    return LocalStack.jobArgs(views, bootstrap, jdbcUrl, redisUri, checkpointInterval);
  }

  /** Where to look when the demo runs the user's views: no generator, events come from them. */
  private void printOwnGuide(
      PrintWriter out,
      List<ViewPlan> views,
      String bootstrap,
      URI flinkUri,
      int gatewayPort,
      Instant started,
      Path workDir) {
    String gatewayUri = "http://localhost:" + gatewayPort;
    printGuideHead(out, started, flinkUri, gatewayUri);
    out.printf("  Kafka           %s%n", bootstrap);
    for (ViewPlan v : views) {
      out.printf(
          "  %-15s curl %s/features/%s/<%s>%n",
          v.name(), gatewayUri, v.name(), String.join(",", v.source().keyFields()));
      out.printf(
          "  %-15s deploy/bin/freshet produce --view %s --definitions %s --kafka %s"
              + " --input events.jsonl%n",
          "", v.name(), display(definitions.jar), bootstrap);
    }
    out.printf("  Logs            %s%n", display(workDir.resolve("logs")));
    out.println();
    out.printf(
        "No sample events for %s: the generator knows only the example views. Send your own"
            + " events to %s (one JSON object per line) with `freshet produce`, as above.%n",
        definitions.load().describe(),
        views.stream()
            .filter(v -> !v.tableSourced())
            .map(v -> v.source().topic())
            .distinct()
            .toList());
    printGuideTail(
        out,
        views.stream().anyMatch(ViewPlan::requestTime)
            ? ": an event shows in a view served at request time after the next checkpoint, in a"
                + " view served at window ends once its window closes"
            : ", once a window closes");
  }

  void printGuide(
      PrintWriter out,
      Catalog catalog,
      PostgresEndpoint pg,
      String user,
      URI flinkUri,
      int gatewayPort,
      String bootstrap,
      Instant started,
      Path workDir) {
    String gatewayUri = "http://localhost:" + gatewayPort;
    ViewPlan main = catalog.plan(VIEWS.get(0));
    ViewPlan live = catalog.plan(VIEWS.get(1));
    OfflineTable table = OfflineTable.of(main);
    printGuideHead(out, started, flinkUri, gatewayUri);
    out.printf("  Features        curl %s/features/%s/%s%n", gatewayUri, main.name(), user);
    out.printf("                  curl %s/features/%s/%s%n", gatewayUri, live.name(), user);
    if (catalog.find("user_lifetime") != null) {
      out.printf(
          "                  curl %s/features/user_lifetime/%s  (since the user was first seen)%n",
          gatewayUri, user);
    }
    if (catalog.find(UserProfile.VIEW) != null) {
      out.printf(
          "                  curl %s/features/%s/%s  (from the table %s, loaded every minute)%n",
          gatewayUri, UserProfile.VIEW, user, UserProfile.TABLE);
    }
    if (catalog.services().stream().anyMatch(svc -> svc.name().equals("checkout"))) {
      out.printf(
          "  Request data    curl -s %s/get-online-features -d '{\"feature_service\": \"checkout\","
              + " \"entities\": {\"user_id\": [\"%s\"]}, \"request_context\": {\"amount\":"
              + " [42.0]}}'%n",
          gatewayUri, user);
    }
    out.printf("  Offline table   %s in %s%n", table.qualifiedName(), pg.displayUrl());
    out.printf(
        "                  SELECT * FROM %s WHERE entity_key = '%s' ORDER BY feature_ts DESC"
            + " LIMIT 5;%n",
        table.qualifiedName(), user);
    if (live.requestTime()) {
      out.printf(
          "  Tile history    %s (%s: tile versions and when each was served)%n",
          TileTable.of(live).qualifiedName(), live.name());
    }
    out.printf("  Kafka           %s, topic %s%n", bootstrap, main.source().topic());
    String produce = "deploy/bin/freshet produce --view " + main.name() + " --kafka " + bootstrap;
    out.printf("  Send events     %s --input events.jsonl%n", produce);
    out.printf(
        "                  echo '{\"user_id\":\"me\",\"event_type\":\"purchase\","
            + "\"revenue\":9.5,\"session_id\":\"s1\",\"platform\":\"web\","
            + "\"event_ts\":'$(date +%%s000)'}' | %s%n",
        produce);
    out.printf(
        "                  curl %s/features/%s/me  (both views read the topic; this one shows the"
            + " event after the next checkpoint)%n",
        gatewayUri, live.name());
    out.printf("  Logs            %s%n", display(workDir.resolve("logs")));
    out.println();
    out.printf(
        "%s is served at window ends: its windows end every %s and close when the newest event"
            + " is %s past their end, so an event shows there once its window closed.%n",
        main.name(),
        Durations.format(main.slide()),
        Durations.format(main.source().maxOutOfOrderness()));
    if (live.requestTime()) {
      out.printf(
          "%s is served at request time (tiles of %s): an event, for a new user too, counts"
              + " (once) at GET /features/%s/<user> after the job's next checkpoint (every %s);"
              + " each answer covers the last hour up to the instant of the request.%n",
          live.name(),
          Durations.format(Duration.ofMillis(live.tileMillis())),
          live.name(),
          Durations.format(checkpointInterval));
    } else {
      out.printf(
          "%s windows end every %s and close when the newest event is %s past their end.%n",
          live.name(),
          Durations.format(live.slide()),
          Durations.format(live.source().maxOutOfOrderness()));
    }
    printGuideTail(out, "");
  }

  private void printGuideHead(PrintWriter out, Instant started, URI flinkUri, String gatewayUri) {
    out.println();
    out.printf(
        "Ready in %d s. Where to look:%n",
        Duration.between(started, Instant.now(clock)).toSeconds());
    out.printf("  Flink web UI    %s%n", flinkUri);
    out.printf("  Gateway         %s  (GET /health, /ready)%n", gatewayUri);
    out.printf(
        "  Console         %s/console  (views, freshness, staleness, rejected events, jobs,"
            + " lookups)%n",
        gatewayUri);
    if (tokens.enabled()) {
      out.printf(
          "  Auth            on (%s): add -H 'Authorization: Bearer <token>' to the curls"
              + " below%n",
          tokens);
    }
  }

  private void printGuideTail(PrintWriter out, String when) {
    out.printf(
        "Results reach Redis and Postgres at each checkpoint (every %s)%s.%n",
        Durations.format(checkpointInterval), when);
    out.println(
        duration == null
            ? "Press Ctrl-C to stop."
            : "Press Ctrl-C to stop; stops by itself in " + Durations.format(duration) + ".");
    out.flush();
  }

  /**
   * Waits for a signal or the end of {@code --duration}, announcing the first served feature vector
   * and any change of the job's state.
   */
  private void watch(
      PrintWriter out,
      StopSignal stop,
      FlinkRestClient rest,
      Supplier<String> jobId,
      int gatewayPort,
      String user,
      Instant started,
      String previousVector)
      throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    URI features = user == null ? null : featuresUri(gatewayPort, user);
    Instant deadline = duration == null ? null : started.plus(duration);
    boolean served = false;
    String jobState = "RUNNING";
    while (true) {
      Duration wait = Duration.ofSeconds(2);
      if (deadline != null) {
        Duration left = Duration.between(Instant.now(clock), deadline);
        if (left.isNegative() || left.isZero()) {
          out.printf("%nRan for %s.%n", Durations.format(duration));
          return;
        }
        wait = left.compareTo(wait) < 0 ? left : wait;
      }
      if (stop.await(wait)) {
        return;
      }
      if (!served && features != null) {
        String body = fetch(http, features);
        if (body != null && !body.equals(previousVector)) {
          served = true;
          out.printf(
              "%n[%s] first feature vector of this run served, %d s after start: curl %s%n  %s%n",
              Instant.now(clock).truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
              Duration.between(started, Instant.now(clock)).toSeconds(),
              features,
              body.strip());
          out.flush();
        }
      }
      String state = jobState(rest, jobId.get());
      if (!state.equals(jobState)) {
        jobState = state;
        out.printf(
            "%n[%s] the job is now %s%s%n",
            Instant.now(clock).truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
            state,
            "RUNNING".equals(state) ? "" : causeOf(rest, jobId.get()));
        out.flush();
      }
    }
  }

  private static URI featuresUri(int gatewayPort, String user) {
    return URI.create("http://localhost:" + gatewayPort + "/features/" + VIEWS.get(0) + "/" + user);
  }

  private static String fetch(HttpClient http, URI uri) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static String jobState(FlinkRestClient rest, String jobId) {
    try {
      return rest.job(jobId).state();
    } catch (FlinkRestException e) {
      return "UNREACHABLE";
    }
  }

  private static String causeOf(FlinkRestClient rest, String jobId) {
    try {
      String cause = rest.rootException(jobId);
      if (cause.isBlank()) {
        return "";
      }
      return ": " + cause.lines().findFirst().orElse("") + " (see the Flink web UI)";
    } catch (FlinkRestException e) {
      return "";
    }
  }

  private void validateOptions() {
    if (users < 1 || users > 9999) {
      throw new StackException("--users must be between 1 and 9999, got " + users);
    }
    if (!(eventsPerSecond > 0) || eventsPerSecond > 10_000) {
      throw new StackException(
          "--events-per-second must be above 0 and at most 10000, got " + eventsPerSecond);
    }
    if (duration != null && (duration.isZero() || duration.isNegative())) {
      throw new StackException("--duration must be positive, got " + duration);
    }
    if (checkpointInterval.toMillis() < 1000) {
      throw new StackException(
          "--checkpoint-interval must be at least 1s, got " + Durations.format(checkpointInterval));
    }
  }

  private static Path requireFile(Path p, String flag) {
    if (!Files.isRegularFile(p)) {
      throw new StackException(flag + " " + p + " is not a file");
    }
    return p.toAbsolutePath();
  }

  /** Removes what the previous run left, except the lock file held by this run. */
  private static void cleanWorkDir(Path workDir) throws IOException {
    try (Stream<Path> top = Files.list(workDir)) {
      for (Path p : top.filter(p -> !p.getFileName().toString().equals(".lock")).toList()) {
        try (Stream<Path> all = Files.walk(p)) {
          for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(q);
          }
        }
      }
    }
  }

  private static String formatRate(double rate) {
    return rate == Math.rint(rate) ? Long.toString((long) rate) : Double.toString(rate);
  }

  private static String display(Path p) {
    Path cwd = Path.of("").toAbsolutePath();
    Path abs = p.toAbsolutePath();
    return abs.startsWith(cwd) ? cwd.relativize(abs).toString() : abs.toString();
  }
}
