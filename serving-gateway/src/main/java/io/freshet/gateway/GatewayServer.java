package io.freshet.gateway;

import io.freshet.gateway.catalog.LiveCatalog;
import io.freshet.gateway.http.GatewayRequestHandler;
import io.freshet.gateway.metrics.GatewayMetrics;
import io.freshet.gateway.online.OnlineTableReader;
import io.freshet.gateway.push.EventLog;
import io.freshet.online.OnlineReader;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServerOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving gateway: an HTTP server answering feature lookups from the Redis online table.
 *
 * <pre>{@code
 * GatewayServer gateway = GatewayServer.start(
 *     new GatewayConfig(8080, "redis://127.0.0.1:6379/0", Catalog.load(loader)));
 * Runtime.getRuntime().addShutdownHook(new Thread(gateway::close));
 * // curl http://localhost:8080/features/user_activity/user_42
 * }</pre>
 *
 * <p>Routes: {@code POST /get-online-features} (Feast's feature-server API), {@code GET
 * /features/{view}/{entity}}, {@code GET /feature-services/{name}/{entity}}, {@code GET /health},
 * {@code GET /ready}, {@code GET /metrics}, {@code GET /openapi.json}, and the console at {@code
 * GET /console} with its JSON under {@code /console/api/}; see {@link GatewayRequestHandler} for
 * the JSON they answer.
 *
 * <p>The views served can change while the gateway runs: from the configured {@link
 * io.freshet.gateway.catalog.CatalogSource}, polled in the background, or through {@link
 * #updateCatalog}. Requests read the catalog in force from memory, never from the registry.
 *
 * <p>{@link #start} returns once the port is bound. It does not need Redis: when Redis is down the
 * gateway starts anyway, answers 503 (and {@code /ready} says so) and connects as soon as Redis
 * appears. Lost connections are repaired in the background, likewise. {@link #close} frees
 * everything the server started: sockets, Vert.x event loops, the Lettuce client and its threads.
 * Thread-safe.
 */
public final class GatewayServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);
  private static final long START_TIMEOUT_SECONDS = 10;

  /**
   * How long {@link #start} waits for the first Redis connection to be made; it stops waiting as
   * soon as an attempt fails.
   */
  public static final Duration REDIS_WAIT_AT_START = Duration.ofSeconds(2);

  /** How long an HTTP connection may stay idle before the gateway closes it. */
  public static final int IDLE_TIMEOUT_SECONDS = 60;

  private final Vertx vertx;
  private final OnlineReader store;
  private final LiveCatalog catalog;
  private final GatewayMetrics metrics;
  private final EventLog log;
  private final int port;
  private boolean closed; // guarded by this

  private GatewayServer(
      Vertx vertx,
      OnlineReader store,
      LiveCatalog catalog,
      GatewayMetrics metrics,
      EventLog log,
      int port) {
    this.vertx = vertx;
    this.log = log;
    this.store = store;
    this.catalog = catalog;
    this.metrics = metrics;
    this.port = port;
  }

  /**
   * Starts the gateway and returns once it listens on {@link GatewayConfig#port()} on all
   * interfaces. Waits up to {@link #REDIS_WAIT_AT_START} for a first Redis connection and starts
   * even without one.
   *
   * @throws IllegalStateException naming the port and the cause when the port cannot be bound;
   *     nothing is left running
   */
  public static GatewayServer start(GatewayConfig config) {
    return start(config, Clock.systemUTC());
  }

  /**
   * Starts the gateway with {@code clock} as its own clock: the request instant of on-demand
   * features (e.g. seconds since a timestamp) and the staleness in the metrics. Statuses are judged
   * by the online store's clock, whatever this one says.
   */
  public static GatewayServer start(GatewayConfig config, Clock clock) {
    LiveCatalog catalog = LiveCatalog.start(config.views());
    catalog
        .current()
        .filter(loaded -> loaded.catalog().plans().isEmpty())
        .ifPresent(
            empty ->
                LOG.warn(
                    "the gateway's catalog has no feature views: every lookup will answer 404"));
    GatewayMetrics metrics =
        new GatewayMetrics(
            () -> catalog.current().map(l -> l.catalog().plans().size()).orElse(0), config.otlp());
    OnlineReader store = OnlineReader.connect(config.redisUri(), config.limits().storeTimeout());
    Vertx vertx = null;
    EventLog log = null;
    try {
      if (config.kafkaBootstrap() != null) {
        log = EventLog.connect(config.kafkaBootstrap());
      }
      int eventLoops = Math.max(2, Runtime.getRuntime().availableProcessors());
      vertx =
          Vertx.vertx(
              new VertxOptions()
                  .setEventLoopPoolSize(eventLoops)
                  .setFileSystemOptions(
                      new FileSystemOptions()
                          .setClassPathResolvingEnabled(false)
                          .setFileCachingEnabled(false)));
      GatewayRequestHandler handler =
          new GatewayRequestHandler(
              catalog,
              config.featureServices(),
              new OnlineTableReader(store, clock),
              store,
              metrics,
              config.limits(),
              config.tokens(),
              log,
              config.console(),
              clock);
      // One server per event loop, all on one port: Vert.x spreads a port's connections over the
      // servers of one Vertx listening on it. A negative port makes them share one random port.
      int port = deploy(vertx, handler, config.port() == 0 ? -1 : config.port(), eventLoops);
      if (!store.awaitConnected(REDIS_WAIT_AT_START)) {
        LOG.warn(
            "gateway starts without Redis at {}: lookups answer 503 until it is reachable",
            store.address());
      }
      LOG.info(
          "gateway listening on port {}, serving {} from Redis at {}, {}, push {}",
          port,
          catalog.current().map(l -> views(l.catalog())).orElse(List.of()),
          store.address(),
          config.tokens(),
          log == null ? "off (no Kafka configured)" : "to Kafka at " + log.bootstrapServers());
      return new GatewayServer(vertx, store, catalog, metrics, log, port);
    } catch (RuntimeException e) {
      closeQuietly(vertx, store, catalog, metrics, log);
      throw e;
    }
  }

  /**
   * Deploys {@code instances} HTTP servers on {@code port} (negative: a random port they share);
   * returns the port they are bound to.
   */
  private static int deploy(Vertx vertx, GatewayRequestHandler handler, int port, int instances) {
    AtomicInteger bound = new AtomicInteger();
    try {
      vertx
          .deployVerticle(
              () -> new HttpVerticle(handler, port, bound),
              new DeploymentOptions().setInstances(instances))
          .toCompletionStage()
          .toCompletableFuture()
          .get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      return bound.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "gateway cannot listen on port "
              + Math.max(port, 0)
              + ": "
              + e.getCause().getMessage()
              + " (choose another port, or stop the process that holds it)",
          e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "gateway did not bind port " + port + " within " + START_TIMEOUT_SECONDS + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding port " + port, e);
    }
  }

  /** One HTTP server on its own event loop. */
  private static final class HttpVerticle extends AbstractVerticle {
    private final GatewayRequestHandler handler;
    private final int port;
    private final AtomicInteger bound;

    HttpVerticle(GatewayRequestHandler handler, int port, AtomicInteger bound) {
      this.handler = handler;
      this.port = port;
      this.bound = bound;
    }

    @Override
    public void start(Promise<Void> started) {
      vertx
          .createHttpServer(
              new HttpServerOptions()
                  .setHost("0.0.0.0")
                  .setPort(port)
                  .setIdleTimeout(IDLE_TIMEOUT_SECONDS)
                  .setIdleTimeoutUnit(TimeUnit.SECONDS))
          .requestHandler(handler)
          .invalidRequestHandler(handler::handleInvalid)
          .listen()
          .onSuccess(
              server -> {
                bound.set(server.actualPort());
                started.complete();
              })
          .onFailure(started::fail);
    }
  }

  /** The port the gateway listens on: the configured one, or the one picked for port 0. */
  public int port() {
    return port;
  }

  /**
   * Serves {@code next} from now on, without a restart: requests already running finish with the
   * catalog they started with. A view whose version changed is read under its new keys. The
   * configured catalog source, if it polls, may replace it again at its next load.
   */
  public void updateCatalog(Catalog next) {
    catalog.replace(next);
  }

  /** The catalog served now, or empty while none has loaded. */
  public Optional<Catalog> catalog() {
    return catalog.current().map(LiveCatalog.Loaded::catalog);
  }

  /**
   * Stops listening and frees Vert.x, the Redis client, the push producer and the catalog refresh
   * thread.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeQuietly(vertx, store, catalog, metrics, log);
    LOG.info("gateway on port {} stopped", port);
  }

  private static List<String> views(Catalog catalog) {
    return catalog.plans().stream().map(ViewPlan::toString).toList();
  }

  private static void closeQuietly(
      Vertx vertx, OnlineReader store, LiveCatalog catalog, GatewayMetrics metrics, EventLog log) {
    catalog.close();
    metrics.close();
    try {
      if (vertx != null) {
        vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("Vert.x did not close cleanly", e);
    } finally {
      store.close();
      if (log != null) {
        try {
          log.close();
        } catch (RuntimeException e) {
          LOG.warn("the push producer did not close cleanly", e);
        }
      }
    }
  }

  @Override
  public String toString() {
    return "GatewayServer[port=" + port + ", redis=" + store.address() + "]";
  }
}
