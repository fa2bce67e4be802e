package io.freshet.deploy.cli;

import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.deploy.stack.ConsoleSources;
import io.freshet.deploy.stack.RedisEndpoint;
import io.freshet.deploy.stack.StackException;
import io.freshet.dsl.Durations;
import io.freshet.gateway.GatewayConfig;
import io.freshet.gateway.GatewayServer;
import io.freshet.gateway.auth.BearerTokens;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.gateway.metrics.OtlpExport;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.freshet.registry.Registry;
import io.freshet.storage.StoreUrls;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code freshet serve}: the gateway, until stopped. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs the gateway.",
      "",
      "Feature lookups over HTTP from the Redis online table until Ctrl-C, for the views"
          + " registered in Postgres (with --registry, refreshed every 5 s as new versions are"
          + " applied) or else for the example views (or those of --definitions).",
      "Bearer-token auth is on when FRESHET_GATEWAY_TOKENS (comma-separated) or"
          + " FRESHET_GATEWAY_TOKENS_FILE is set.",
      "The console at /console shows the views with their freshness and rejected events (read"
          + " from Postgres when --pg-url, FRESHET_PG_URL or --registry is given) and the jobs'"
          + " states (from the Flink cluster of --flink or FRESHET_FLINK).",
      ""
    })
final class ServeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--port",
      defaultValue = "8080",
      paramLabel = "<port>",
      description = "Port to listen on, on all interfaces (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--redis-url",
      paramLabel = "<redis-url>",
      description =
          "Redis holding the online table (default: FRESHET_REDIS_URL, else "
              + RedisEndpoint.DEFAULT_LOCAL_URL
              + ").")
  String redisUrl;

  @Option(
      names = "--kafka",
      paramLabel = "<bootstrap>",
      description =
          "Kafka bootstrap servers holding the views' topics, for POST /push (default:"
              + " FRESHET_KAFKA; without either, POST /push answers 503).")
  String kafka;

  @Option(
      names = "--otlp-endpoint",
      paramLabel = "<url>",
      description =
          "Also push the gateway's meters over OTLP/HTTP to this collector URL, e.g."
              + " http://otel-collector:4318/v1/metrics (default: FRESHET_OTLP_ENDPOINT; without"
              + " either, only the Prometheus scrape at /metrics).")
  String otlpEndpoint;

  @Option(
      names = "--otlp-step",
      paramLabel = "<duration>",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description = "How often the OTLP export is sent (default: ${DEFAULT-VALUE}).")
  Duration otlpStep;

  @Mixin DefinitionsOption definitions;

  @Option(
      names = "--registry",
      description =
          "Serve the views applied to the registry in Postgres (--pg-url, FRESHET_PG_URL), picking"
              + " up newly applied versions without a restart.")
  boolean fromRegistry;

  @Mixin PostgresOption postgres;

  @Mixin FlinkOption flink;

  private final Map<String, String> env;

  ServeCommand() {
    this(System.getenv());
  }

  ServeCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() throws Exception {
    Logging.toConsole();
    PrintWriter out = spec.commandLine().getOut();
    Setting redis = Setting.resolve(redisUrl, "--redis-url", "FRESHET_REDIS_URL", env);
    String uri = redis == null ? RedisEndpoint.DEFAULT_LOCAL_URL : redis.value();
    Catalog catalog = definitions.load().catalog();
    GatewayConfig config =
        new GatewayConfig(port, uri, catalog)
            .withFeatureServices(FeatureServiceResolver.ofServices(catalog.services()))
            .withTokens(BearerTokens.fromEnvironment(env));
    Setting kafkaSetting = Setting.resolve(kafka, "--kafka", "FRESHET_KAFKA", env);
    if (kafkaSetting != null) {
      config = config.withKafka(kafkaSetting.value());
    }
    Setting otlpSetting =
        Setting.resolve(otlpEndpoint, "--otlp-endpoint", "FRESHET_OTLP_ENDPOINT", env);
    if (otlpSetting != null) {
      try {
        config = config.withOtlp(OtlpExport.to(otlpSetting.value()).every(otlpStep));
      } catch (IllegalArgumentException e) {
        throw new UsageException(otlpSetting.source() + ": " + e.getMessage(), e);
      }
    }
    Setting pg =
        fromRegistry || Setting.resolve(postgres.pgUrl, "--pg-url", "FRESHET_PG_URL", env) != null
            ? postgres.resolve(env)
            : null;
    if (fromRegistry) {
      Registry registry = Registries.open(pg);
      config = config.withViews(Registries.follow(registry));
    }
    Setting flinkSetting = flink.resolve(env);
    config =
        config.withConsole(
            ConsoleSources.of(
                pg == null ? null : pg.value(),
                flinkSetting == null
                    ? null
                    : new FlinkRestClient(URI.create(flinkSetting.value()))));
    StopSignal stop = StopSignal.install(Duration.ofSeconds(30));
    GatewayServer gateway;
    try {
      gateway = GatewayServer.start(config);
    } catch (IllegalStateException | IllegalArgumentException e) {
      stop.stopped();
      throw new StackException(
          e.getMessage() + (port == 8080 ? " (choose another port with --port)" : ""), e);
    }
    try {
      out.printf(
          "freshet serve: gateway on http://localhost:%d, online table in %s, views %s%n",
          gateway.port(),
          StoreUrls.redact(uri),
          fromRegistry
              ? "from the registry"
              : catalog.plans().stream().map(ViewPlan::name).toList().toString());
      out.printf(
          "  try: curl http://localhost:%d/features/%s/<entity>%n",
          gateway.port(), catalog.plans().isEmpty() ? "<view>" : catalog.plans().get(0).name());
      out.printf(
          "  push: %s%n",
          kafkaSetting == null
              ? "off (give --kafka or FRESHET_KAFKA to take events on POST /push)"
              : "POST /push produces to Kafka at " + kafkaSetting.value());
      out.printf(
          "  Console: http://localhost:%d/console (freshness and rejected events %s; jobs %s)%n",
          gateway.port(),
          pg == null
              ? "off: give --pg-url or FRESHET_PG_URL"
              : "from " + PostgresOption.display(pg.value()),
          flinkSetting == null
              ? "off: give --flink or FRESHET_FLINK"
              : "from " + flinkSetting.value());
      if (otlpSetting != null) {
        out.printf(
            "  metrics: /metrics, and OTLP to %s every %s%n",
            otlpSetting.value(), Durations.format(otlpStep));
      }
      out.println("Press Ctrl-C to stop.");
      out.flush();
      stop.await(null);
    } finally {
      gateway.close();
      out.println("gateway stopped");
      out.flush();
      stop.stopped();
    }
    return 0;
  }
}
