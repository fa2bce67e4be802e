package io.freshet.deploy.stack;

import io.freshet.gateway.GatewayConfig;
import io.freshet.gateway.GatewayServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * The gateway the demo runs in its own JVM, under supervision: down when {@code GET /health} has
 * gone unanswered three times in a row, restarted on the same port with the same configuration.
 */
public final class SupervisedGateway implements Supervised, AutoCloseable {
  private static final int MISSED_PROBES_TO_FAIL = 3;

  private final GatewayConfig config;
  private final URI health;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private GatewayServer server; // guarded by this
  private boolean closed; // guarded by this
  private int missedProbes;
  private String lastMiss = "";

  private SupervisedGateway(GatewayConfig config, GatewayServer server) {
    this.config = config;
    this.server = server;
    this.health = URI.create("http://127.0.0.1:" + config.port() + "/health");
  }

  /**
   * Starts the gateway; a restart binds the port this start bound (also when {@code config} asks
   * for any free port).
   *
   * @throws StackException naming the cause when the gateway cannot start
   */
  public static SupervisedGateway start(GatewayConfig config) {
    GatewayServer server = startServer(config);
    GatewayConfig bound = config.withPort(server.port());
    return new SupervisedGateway(bound, server);
  }

  private static GatewayServer startServer(GatewayConfig config) {
    try {
      return GatewayServer.start(config);
    } catch (IllegalStateException | IllegalArgumentException e) {
      throw new StackException("could not start the gateway: " + e.getMessage(), e);
    }
  }

  public int port() {
    return config.port();
  }

  /** The server started last. */
  public synchronized GatewayServer server() {
    return server;
  }

  @Override
  public String name() {
    return "gateway";
  }

  @Override
  public Optional<String> failure() {
    String miss = probe();
    if (miss == null) {
      missedProbes = 0;
      return Optional.empty();
    }
    missedProbes++;
    lastMiss = miss;
    if (missedProbes < MISSED_PROBES_TO_FAIL) {
      return Optional.empty();
    }
    return Optional.of(
        "on port "
            + config.port()
            + " did not answer GET /health "
            + missedProbes
            + " times in a row (last: "
            + lastMiss
            + ")");
  }

  /** Null when {@code /health} answers 200, else what went wrong. */
  private String probe() {
    try {
      HttpResponse<Void> r =
          http.send(
              HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(5)).GET().build(),
              HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200 ? null : "status " + r.statusCode();
    } catch (IOException e) {
      return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  @Override
  public synchronized String restart() {
    if (closed) {
      throw new StackException("cannot restart the gateway: it is stopping");
    }
    server.close();
    server = startServer(config);
    missedProbes = 0;
    return "on port " + server.port();
  }

  /** Stops the gateway started last; no gateway starts after this. */
  @Override
  public synchronized void close() {
    closed = true;
    server.close();
  }
}
