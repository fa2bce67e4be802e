package io.freshet.deploy.cli;

import io.freshet.deploy.stack.RedisEndpoint;
import io.freshet.deploy.stack.StackException;
import io.freshet.gateway.GatewayConfig;
import io.freshet.gateway.GatewayServer;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import java.io.PrintWriter;
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
      "Feature lookups over HTTP from the Redis online table, for the example views (or those"
          + " of --definitions), until Ctrl-C.",
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

  @Mixin DefinitionsOption definitions;

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
    StopSignal stop = StopSignal.install(Duration.ofSeconds(30));
    GatewayServer gateway;
    try {
      gateway = GatewayServer.start(new GatewayConfig(port, uri, catalog));
    } catch (IllegalStateException | IllegalArgumentException e) {
      stop.stopped();
      throw new StackException(
          e.getMessage() + (port == 8080 ? " (choose another port with --port)" : ""), e);
    }
    try {
      out.printf(
          "freshet serve: gateway on http://localhost:%d, online table in %s, views %s%n",
          gateway.port(),
          uri.replaceAll("//[^@/]*@", "//***@"),
          catalog.plans().stream().map(ViewPlan::name).toList());
      out.printf(
          "  try: curl http://localhost:%d/features/%s/<entity>%n",
          gateway.port(), catalog.plans().isEmpty() ? "<view>" : catalog.plans().get(0).name());
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
