package io.freshet.gateway.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.gateway.GatewayLimits;
import io.freshet.gateway.auth.BearerTokens;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.gateway.catalog.LiveCatalog;
import io.freshet.gateway.console.ConsoleSource;
import io.freshet.gateway.metrics.GatewayMetrics;
import io.freshet.gateway.online.OnlineTableReader;
import io.freshet.gateway.online.UndecodableOnlineValueException;
import io.freshet.gateway.push.EventLog;
import io.freshet.gateway.query.JsonText;
import io.freshet.gateway.query.RequestRejection;
import io.freshet.online.OnlineReader;
import io.freshet.online.OnlineStoreUnavailableException;
import io.freshet.plan.Catalog;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes and answers the gateway's HTTP requests on Vert.x event loops, never blocking them.
 *
 * <pre>
 * POST /get-online-features             Feast's request and answer ({@link FeastJson})
 * POST /push                            events for a view, checked by the job's decoder and
 *                                       produced to its topic ({@link PushEndpoint}); 202
 * GET  /features/{view}/{entity}        one view's row ({@link FeatureJson}); 404 unknown view
 *                                       or entity
 * GET  /feature-services/{name}/{entity} a feature service's rows, one object per view; 404
 *                                       unknown service
 * GET  /health                          200 {"status":"UP"} while the process serves HTTP
 * GET  /ready                           200 when the catalog is loaded and Redis answers PING,
 *                                       else 503
 * GET  /metrics                         Prometheus text format ({@link GatewayMetrics})
 * GET  /openapi.json                    the OpenAPI 3 document of these routes
 * GET  /console (and /console/)         the console's page ({@link ConsoleEndpoints})
 * GET  /console/assets/{name}           its script, style sheet and ECharts; 404 unknown name
 * GET  /console/api/catalog             the views and feature services served, for the console
 * GET  /console/api/views/{view}        a view's freshness, staleness, rejected events and job;
 *                                       404 unknown view
 * GET  /console/api/jobs                the Flink cluster's jobs
 * anything else                         404 no_route, or 405 method_not_allowed with Allow
 * </pre>
 *
 * <p>With bearer tokens configured, every route but {@code /health}, {@code /ready} and the
 * console's page and assets answers 401 unless the request carries {@code Authorization: Bearer
 * <token>} with an accepted token; the check comes first, before any body is read or Redis is
 * asked. A Redis outage answers 503 {@code online_store_unavailable} within the store's command
 * timeout; a catalog not loaded yet answers 503 {@code catalog_not_loaded}; an unexpected exception
 * answers 500 {@code internal_error} naming it. Every body is JSON ({@link JsonResponses}) but that
 * of {@code /metrics}.
 */
public final class GatewayRequestHandler implements Handler<HttpServerRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayRequestHandler.class);
  private static final String FEATURES_PREFIX = "/features/";
  private static final String SERVICES_PREFIX = "/feature-services/";
  private static final String OPENAPI_RESOURCE = "/io/freshet/gateway/openapi.json";
  private static final String BEARER = "bearer";
  private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9-]{0,19}");

  private final LiveCatalog catalog;
  private final OnlineReader store;
  private final GatewayMetrics metrics;
  private final BearerTokens tokens;
  private final FeastEndpoint feast;
  private final LookupEndpoints lookups;
  private final PushEndpoint push;
  private final ConsoleEndpoints console;
  private final Buffer openApi;

  public GatewayRequestHandler(
      LiveCatalog catalog,
      FeatureServiceResolver services,
      OnlineTableReader reader,
      OnlineReader store,
      GatewayMetrics metrics,
      GatewayLimits limits,
      BearerTokens tokens) {
    this(catalog, services, reader, store, metrics, limits, tokens, null);
  }

  /**
   * A handler that produces pushed events to {@code log} (null: {@code POST /push} answers 503).
   */
  public GatewayRequestHandler(
      LiveCatalog catalog,
      FeatureServiceResolver services,
      OnlineTableReader reader,
      OnlineReader store,
      GatewayMetrics metrics,
      GatewayLimits limits,
      BearerTokens tokens,
      EventLog log) {
    this(
        catalog,
        services,
        reader,
        store,
        metrics,
        limits,
        tokens,
        log,
        ConsoleSource.none(),
        Clock.systemUTC());
  }

  /**
   * A handler whose console reads freshness, rejected events and jobs from {@code console}, and
   * judges lag by {@code clock}.
   */
  public GatewayRequestHandler(
      LiveCatalog catalog,
      FeatureServiceResolver services,
      OnlineTableReader reader,
      OnlineReader store,
      GatewayMetrics metrics,
      GatewayLimits limits,
      BearerTokens tokens,
      EventLog log,
      ConsoleSource console,
      Clock clock) {
    this.catalog = catalog;
    this.store = store;
    this.metrics = metrics;
    this.tokens = tokens;
    this.feast = new FeastEndpoint(this, services, reader, metrics, limits);
    this.lookups = new LookupEndpoints(this, services, reader, metrics);
    this.push = new PushEndpoint(this, limits, log);
    this.console = new ConsoleEndpoints(this, catalog, services, metrics, console, clock);
    this.openApi = Buffer.buffer(openApiDocument());
  }

  /** The OpenAPI document the gateway serves at {@code /openapi.json}. */
  public static byte[] openApiDocument() {
    try (InputStream in = GatewayRequestHandler.class.getResourceAsStream(OPENAPI_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the gateway jar lacks " + OPENAPI_RESOURCE);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + OPENAPI_RESOURCE, e);
    }
  }

  @Override
  public void handle(HttpServerRequest request) {
    Exchange exchange = new Exchange(request, metrics, System.nanoTime());
    try {
      route(exchange);
    } catch (RequestRejection r) {
      exchange.reject(r);
    } catch (RuntimeException | Error e) {
      internalError(exchange, e);
    }
  }

  /**
   * Answers requests the HTTP decoder could not parse (too long a line or header, bad syntax) in
   * JSON, in place of Vert.x's empty-bodied default. Register with {@code
   * HttpServer.invalidRequestHandler}.
   */
  public void handleInvalid(HttpServerRequest request) {
    Exchange exchange = new Exchange(request, metrics, System.nanoTime());
    exchange.route(Route.INVALID);
    Throwable cause = request.decoderResult().cause();
    int status = 400;
    String message = "the request is not valid HTTP";
    if (cause instanceof TooLongHttpLineException) {
      status = 414;
      message = "the request line is too long";
    } else if (cause instanceof TooLongHttpHeaderException) {
      status = 431;
      message = "the request headers are too long";
    }
    if (cause != null && cause.getMessage() != null) {
      message += ": " + cause.getMessage();
    }
    exchange.closeAfterAnswer();
    exchange.json(status, JsonResponses.error("bad_request", message));
  }

  private void route(Exchange exchange) {
    HttpServerRequest request = exchange.request();
    String path = request.path() == null ? "" : request.path();
    Route route = match(path);
    if (route == null) {
      if (authorized(exchange)) {
        noRoute(exchange, "");
      }
      return;
    }
    exchange.route(route.metricName());
    if (!route.open() && !authorized(exchange)) {
      return;
    }
    if (route == Route.CONSOLE_ASSET || route == Route.CONSOLE_VIEW) {
      String rest =
          path.substring(
              (route == Route.CONSOLE_ASSET
                      ? ConsoleEndpoints.ASSETS_PREFIX
                      : ConsoleEndpoints.VIEWS_PREFIX)
                  .length());
      if (rest.isEmpty() || rest.indexOf('/') >= 0) {
        exchange.route(Route.UNMATCHED);
        noRoute(exchange, "");
        return;
      }
      if (!allow(exchange, route)) {
        return;
      }
      if (route == Route.CONSOLE_ASSET) {
        console.asset(exchange, rest);
      } else {
        console.view(exchange, rest);
      }
      return;
    }
    if (route == Route.FEATURES || route == Route.FEATURE_SERVICES) {
      String rest =
          path.substring((route == Route.FEATURES ? FEATURES_PREFIX : SERVICES_PREFIX).length());
      List<String> segments = PathSegments.split(rest);
      if (segments.size() != 2) {
        exchange.route(Route.UNMATCHED);
        noRoute(exchange, " (write a '/' inside an entity key as %2F)");
        return;
      }
      if (!allow(exchange, route)) {
        return;
      }
      if (route == Route.FEATURES) {
        lookups.features(exchange, segments.get(0), segments.get(1));
      } else {
        lookups.featureService(exchange, segments.get(0), segments.get(1));
      }
      return;
    }
    if (!allow(exchange, route)) {
      return;
    }
    switch (route) {
      case GET_ONLINE_FEATURES -> feast.handle(exchange);
      case PUSH -> push.handle(exchange);
      case HEALTH -> exchange.json(200, object().put("status", "UP"));
      case READY -> ready(exchange);
      case METRICS ->
          exchange.send(200, GatewayMetrics.contentType(), Buffer.buffer(metrics.scrape()));
      case OPENAPI -> exchange.send(200, JsonResponses.APPLICATION_JSON, openApi);
      case CONSOLE -> console.page(exchange);
      case CONSOLE_CATALOG -> console.catalog(exchange);
      case CONSOLE_JOBS -> console.jobs(exchange);
      default -> throw new IllegalStateException("route " + route + " has no handler");
    }
  }

  private static Route match(String path) {
    if (path.startsWith(FEATURES_PREFIX)) {
      return Route.FEATURES;
    }
    if (path.startsWith(SERVICES_PREFIX)) {
      return Route.FEATURE_SERVICES;
    }
    if (path.startsWith(ConsoleEndpoints.ASSETS_PREFIX)) {
      return Route.CONSOLE_ASSET;
    }
    if (path.startsWith(ConsoleEndpoints.VIEWS_PREFIX)) {
      return Route.CONSOLE_VIEW;
    }
    if (path.equals("/console/")) {
      return Route.CONSOLE;
    }
    for (Route r : Route.values()) {
      if (r.template().equals(path)) {
        return r;
      }
    }
    return null;
  }

  /** True when auth is off or the request carries an accepted token; else answers 401. */
  private boolean authorized(Exchange exchange) {
    if (!tokens.enabled()) {
      return true;
    }
    String header = exchange.request().getHeader(HttpHeaders.AUTHORIZATION);
    String token = null;
    if (header != null) {
      String h = header.strip();
      if (h.length() > BEARER.length()
          && h.regionMatches(true, 0, BEARER, 0, BEARER.length())
          && Character.isWhitespace(h.charAt(BEARER.length()))) {
        token = h.substring(BEARER.length()).strip();
      }
    }
    if (tokens.accepts(token)) {
      return true;
    }
    String message;
    String value;
    String challenge = "Bearer realm=\"freshet-gateway\"";
    if (header == null) {
      value = "";
      message = "this route needs a bearer token (send the header Authorization: Bearer <token>)";
    } else if (token == null) {
      String[] words = header.strip().split("\\s+", 2);
      value = words.length == 2 && SCHEME.matcher(words[0]).matches() ? words[0] + " ***" : "***";
      message = "the Authorization header is not of the form 'Bearer <token>'";
      challenge += ", error=\"invalid_request\"";
    } else {
      value = "Bearer ***";
      message = "the bearer token is not one the gateway accepts";
      challenge += ", error=\"invalid_token\"";
    }
    exchange.response().putHeader("WWW-Authenticate", challenge);
    exchange.json(401, JsonResponses.error("unauthorized", "Authorization", value, message));
    return false;
  }

  /** The catalog in force; answers 503 when none has loaded yet. */
  Optional<Catalog> catalogOrAnswer(Exchange exchange) {
    Optional<LiveCatalog.Loaded> loaded = catalog.current();
    if (loaded.isEmpty()) {
      exchange.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
      exchange.json(
          503,
          JsonResponses.error(
              "catalog_not_loaded",
              "the gateway has not loaded its feature views yet ("
                  + catalog.failedLoads()
                  + " failed loads so far; see the gateway's log)"));
      return Optional.empty();
    }
    return Optional.of(loaded.get().catalog());
  }

  private void ready(Exchange exchange) {
    Optional<LiveCatalog.Loaded> loaded = catalog.current();
    if (loaded.isEmpty()) {
      ObjectNode body = object().put("status", "NOT_READY");
      body.put("error", "catalog_not_loaded");
      body.put(
          "message",
          "the feature views are not loaded yet (" + catalog.failedLoads() + " failed loads)");
      exchange.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
      exchange.json(503, body);
      return;
    }
    CompletionStage<Optional<Throwable>> probe =
        store.ping().handle((pong, failure) -> Optional.ofNullable(failure));
    onContext(
        probe,
        exchange,
        failure -> {
          if (failure.isEmpty()) {
            ObjectNode body = object().put("status", "READY");
            body.put("views", loaded.get().catalog().plans().size());
            body.put("catalog_loaded_at", loaded.get().at().toString());
            exchange.json(200, body);
            return;
          }
          ObjectNode body = object().put("status", "NOT_READY");
          body.put("error", "online_store_unavailable");
          body.put("message", String.valueOf(unwrap(failure.get()).getMessage()));
          exchange.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
          exchange.json(503, body);
        });
  }

  /** Continues on the request's event loop once the stage completes, mapping failures to JSON. */
  <T> void onContext(CompletionStage<T> stage, Exchange exchange, Consumer<T> onSuccess) {
    Context context = Vertx.currentContext();
    Future.fromCompletionStage(stage, context)
        .onComplete(
            result -> {
              try {
                if (result.succeeded()) {
                  onSuccess.accept(result.result());
                } else {
                  failed(exchange, result.cause());
                }
              } catch (RequestRejection r) {
                exchange.reject(r);
              } catch (RuntimeException | Error e) {
                internalError(exchange, e);
              }
            });
  }

  private void failed(Exchange exchange, Throwable failure) {
    Throwable cause = unwrap(failure);
    HttpServerRequest request = exchange.request();
    if (cause instanceof OnlineStoreUnavailableException) {
      LOG.debug("{} {}: {}", request.method(), request.path(), cause.getMessage());
      exchange.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
      exchange.json(503, JsonResponses.error("online_store_unavailable", cause.getMessage()));
    } else if (cause instanceof UndecodableOnlineValueException undecodable) {
      LOG.error("{} {}: {}", request.method(), request.path(), cause.getMessage(), cause);
      exchange.json(500, JsonResponses.error("undecodable_online_value", undecodable.getMessage()));
    } else {
      internalError(exchange, cause);
    }
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }

  /**
   * Answers 500 naming the exception, so that no request goes unanswered, whatever failed (a
   * missing class included). An error the JVM cannot go on after is rethrown once answered.
   */
  static void internalError(Exchange exchange, Throwable e) {
    answerInternalError(exchange, e);
    if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
      throw (VirtualMachineError) e;
    }
  }

  private static void answerInternalError(Exchange exchange, Throwable e) {
    HttpServerRequest request = exchange.request();
    LOG.error("{} {} failed", request.method(), request.path(), e);
    ObjectNode body = object();
    body.put("error", "internal_error");
    body.put("exception", e.getClass().getName());
    body.put("message", JsonText.clipMessage(String.valueOf(e.getMessage())));
    try {
      exchange.json(500, body);
    } catch (RuntimeException again) {
      LOG.error("cannot answer {} {} with 500", request.method(), request.path(), again);
      request.connection().close();
    }
  }

  private static boolean allow(Exchange exchange, Route route) {
    HttpServerRequest request = exchange.request();
    if (request.method().name().equals(route.method())) {
      return true;
    }
    exchange.response().putHeader(HttpHeaders.ALLOW, route.method());
    exchange.json(
        405,
        JsonResponses.error(
            "method_not_allowed",
            "method",
            request.method().name(),
            request.method().name()
                + " "
                + request.path()
                + " is not allowed (use "
                + route.method()
                + ")"));
    return false;
  }

  private static void noRoute(Exchange exchange, String hint) {
    HttpServerRequest request = exchange.request();
    exchange.json(
        404,
        JsonResponses.error(
            "no_route",
            "path",
            request.path(),
            "no route for "
                + request.method().name()
                + " "
                + request.path()
                + hint
                + " (routes: "
                + Route.list()
                + ")"));
  }

  static ObjectNode object() {
    return JsonResponses.MAPPER.createObjectNode();
  }
}
