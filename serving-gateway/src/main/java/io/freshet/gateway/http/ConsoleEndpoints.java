package io.freshet.gateway.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.Durations;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.Serving;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.gateway.catalog.LiveCatalog;
import io.freshet.gateway.console.ConsoleSource;
import io.freshet.gateway.console.ConsoleUnavailableException;
import io.freshet.gateway.metrics.GatewayMetrics;
import io.freshet.gateway.query.RequestRejection;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.OnDemandPlan;
import io.freshet.plan.ViewPlan;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console: a page and its assets (open, they hold no data), and the JSON it reads (behind the
 * bearer token as every data route).
 *
 * <pre>
 * GET /console, /console/            the page (text/html)
 * GET /console/assets/{name}         console.js, console.css, echarts.min.js (the ECharts WebJar)
 * GET /console/api/catalog           {"views": [...], "services": [...], "loaded_at", "flink_rest"}
 * GET /console/api/views/{view}      {"view", "freshness", "staleness", "rejected", "job"}
 * GET /console/api/jobs              {"available": true, "jobs": [...]}
 * </pre>
 *
 * <p>The catalog and the staleness come from the gateway's memory. Freshness, rejected events and
 * jobs come from the configured {@link ConsoleSource}, which may block: it runs on a worker pool of
 * its own, never on an event loop, and a part that does not answer within {@link #SOURCE_TIMEOUT}
 * or fails is shown as {@code {"available": false, "reason": "..."}} (the reason says what to
 * configure or what failed), never as a 500.
 */
final class ConsoleEndpoints {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleEndpoints.class);

  static final String ASSETS_PREFIX = "/console/assets/";
  static final String VIEWS_PREFIX = "/console/api/views/";

  /** How long the console waits for one part read from Postgres or Flink. */
  static final Duration SOURCE_TIMEOUT = Duration.ofSeconds(5);

  /** The newest rejected events shown per view. */
  static final int SAMPLE_LIMIT = 5;

  private static final String RESOURCES = "/io/freshet/gateway/console/";
  private static final String ECHARTS_POM =
      "/META-INF/maven/org.webjars.npm/echarts/pom.properties";
  private static final String HTML = "text/html; charset=utf-8";
  private static final String OWN_ASSETS_CACHE = "public, max-age=300";
  private static final String LIBRARY_CACHE = "public, max-age=86400";
  private static final Set<String> TERMINAL_JOB_STATES =
      Set.of("FAILED", "CANCELED", "FINISHED", "SUSPENDED");

  /** A file the console serves: its type, bytes and cache lifetime. */
  private record Asset(String contentType, Buffer body, String cacheControl) {}

  private final GatewayRequestHandler handler;
  private final LiveCatalog catalog;
  private final FeatureServiceResolver services;
  private final GatewayMetrics metrics;
  private final ConsoleSource source;
  private final Clock clock;
  private final Buffer page;
  private final Map<String, Asset> assets;
  private volatile WorkerExecutor workers;

  ConsoleEndpoints(
      GatewayRequestHandler handler,
      LiveCatalog catalog,
      FeatureServiceResolver services,
      GatewayMetrics metrics,
      ConsoleSource source,
      Clock clock) {
    this.handler = handler;
    this.catalog = catalog;
    this.services = services;
    this.metrics = metrics;
    this.source = source;
    this.clock = clock;
    this.page = Buffer.buffer(resource(RESOURCES + "index.html"));
    Map<String, Asset> files = new LinkedHashMap<>();
    files.put(
        "console.js",
        new Asset(
            "text/javascript; charset=utf-8",
            Buffer.buffer(resource(RESOURCES + "console.js")),
            OWN_ASSETS_CACHE));
    files.put(
        "console.css",
        new Asset(
            "text/css; charset=utf-8",
            Buffer.buffer(resource(RESOURCES + "console.css")),
            OWN_ASSETS_CACHE));
    files.put(
        "echarts.min.js",
        new Asset(
            "text/javascript; charset=utf-8",
            Buffer.buffer(resource(echartsPath())),
            LIBRARY_CACHE));
    this.assets = Map.copyOf(files);
  }

  /** Where the ECharts WebJar on the class path keeps its minified build. */
  static String echartsPath() {
    Properties pom = new Properties();
    try (InputStream in = ConsoleEndpoints.class.getResourceAsStream(ECHARTS_POM)) {
      if (in == null) {
        throw new IllegalStateException(
            "the class path lacks the ECharts WebJar (org.webjars.npm:echarts), which the console"
                + " serves; add it to the gateway's dependencies");
      }
      pom.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + ECHARTS_POM, e);
    }
    return "/META-INF/resources/webjars/echarts/"
        + pom.getProperty("version")
        + "/dist/echarts.min.js";
  }

  private static byte[] resource(String path) {
    try (InputStream in = ConsoleEndpoints.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("the gateway's class path lacks " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  void page(Exchange exchange) {
    exchange.response().putHeader("X-Content-Type-Options", "nosniff");
    exchange
        .response()
        .putHeader(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
                + " img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'");
    exchange.send(200, HTML, page, "no-cache");
  }

  void asset(Exchange exchange, String rawName) {
    Asset asset = rawName.indexOf('/') >= 0 ? null : assets.get(rawName);
    if (asset == null) {
      throw new RequestRejection(
          404,
          "unknown_asset",
          "name",
          rawName,
          "the console has no asset '" + rawName + "' (assets: " + assets.keySet() + ")");
    }
    exchange.response().putHeader("X-Content-Type-Options", "nosniff");
    exchange.send(200, asset.contentType(), asset.body(), asset.cacheControl());
  }

  /** The views and services served now, as the loaded catalog has them. */
  void catalog(Exchange exchange) {
    Optional<LiveCatalog.Loaded> loaded = catalog.current();
    if (handler.catalogOrAnswer(exchange).isEmpty()) {
      return;
    }
    Catalog served = loaded.orElseThrow().catalog();
    ObjectNode body = GatewayRequestHandler.object();
    ArrayNode views = body.putArray("views");
    for (ViewPlan plan : served.plans()) {
      views.add(viewJson(plan));
    }
    ArrayNode list = body.putArray("services");
    for (String name : services.names()) {
      list.add(serviceJson(name, served));
    }
    body.put("loaded_at", loaded.get().at().toString());
    body.put("flink_rest", source.flinkRestUrl().orElse(null));
    exchange.json(200, body);
  }

  static ObjectNode viewJson(ViewPlan plan) {
    ObjectNode v = GatewayRequestHandler.object();
    v.put("name", plan.name());
    v.put("version", plan.versionTag());
    v.put("fingerprint", plan.fingerprint());
    ArrayNode key = v.putArray("entity_key");
    plan.keyFields().forEach(key::add);
    v.put("serving", serving(plan));
    v.put("source", sourceText(plan));
    if (plan.view().expires()) {
      v.put("ttl_seconds", plan.ttl().toSeconds());
    } else {
      v.putNull("ttl_seconds");
    }
    v.put("availability_delay_ms", plan.availabilityDelay().toMillis());
    if (!plan.tableSourced()) {
      v.put("slide", Durations.format(plan.slide()));
    }
    if (plan.requestTime()) {
      v.put("tile", Durations.format(Duration.ofMillis(plan.tileMillis())));
    }
    ArrayNode features = v.putArray("features");
    for (FeaturePart part : plan.parts()) {
      ObjectNode f = features.addObject();
      f.put("name", part.name());
      f.put("type", part.type().name());
      if (part instanceof FeaturePart.Aggregated a) {
        f.put("kind", "aggregated");
        f.put("aggregation", a.aggregation().describe());
        a.where().ifPresent(w -> f.put("filter", w.describe()));
        f.put(
            "window",
            a.isLifetime()
                ? "lifetime"
                : Durations.format(Duration.ofMillis(a.windowSizeMillis())));
      } else if (part instanceof FeaturePart.Derived d) {
        f.put("kind", "derived");
        f.put("expression", d.derivation().describe());
      } else if (part instanceof FeaturePart.Column c) {
        f.put("kind", "column");
        f.put("column", c.column());
      }
    }
    return v;
  }

  /** {@code window_ends}, {@code request_time}, or {@code table} for a table-sourced view. */
  static String serving(ViewPlan plan) {
    if (plan.tableSourced()) {
      return "table";
    }
    return plan.servingMode() == Serving.Mode.REQUEST_TIME ? "request_time" : "window_ends";
  }

  static String sourceText(ViewPlan plan) {
    if (plan.tableSourced()) {
      var table = plan.tableSource();
      return (table.table() != null ? "Postgres table " + table.table() : "Postgres query")
          + ", key "
          + String.join(", ", table.keyColumns())
          + ", timestamp "
          + table.timestampColumn()
          + " (loaded by freshet materialize)";
    }
    var src = plan.source();
    return "Kafka topic "
        + src.topic()
        + " (JSON), key "
        + String.join(", ", src.keyFields())
        + ", event time "
        + src.eventTimeField()
        + ", out of order up to "
        + Durations.format(src.maxOutOfOrderness());
  }

  private ObjectNode serviceJson(String name, Catalog served) {
    ObjectNode s = GatewayRequestHandler.object();
    s.put("name", name);
    ArrayNode features = s.putArray("features");
    services.features(name).orElse(List.of()).forEach(r -> features.add(r.toString()));
    ArrayNode fields = s.putArray("request_fields");
    ArrayNode onDemand = s.putArray("on_demand");
    FeatureService definition = services.definition(name).orElse(null);
    if (definition != null) {
      for (FeatureService.RequestFieldSpec f : definition.requestFields()) {
        fields.addObject().put("name", f.name()).put("type", f.type().name());
      }
      Function<FeatureService.FeatureRef, FeatureType> types =
          ref -> {
            ViewPlan p = served.find(ref.view());
            if (p == null) {
              return null;
            }
            return p.parts().stream()
                .filter(part -> part.name().equals(ref.feature()))
                .map(FeaturePart::type)
                .findFirst()
                .orElse(null);
          };
      try {
        for (OnDemandPlan.Output o : OnDemandPlan.of(definition, types).outputs()) {
          onDemand
              .addObject()
              .put("name", o.name())
              .put("type", o.type().name())
              .put("expression", o.expression().describe());
        }
      } catch (DefinitionException e) {
        definition.onDemand().forEach(o -> onDemand.addObject().put("name", o.name()));
        s.put("error", e.getMessage());
      }
    }
    return s;
  }

  /** A view's freshness, staleness, rejected events and job. */
  void view(Exchange exchange, String rawView) {
    String view = LookupEndpoints.decode("view", rawView);
    Optional<Catalog> served = handler.catalogOrAnswer(exchange);
    if (served.isEmpty()) {
      return;
    }
    ViewPlan plan = LookupEndpoints.knownView(served.get(), view);
    Future<ObjectNode> freshness = section(() -> freshnessJson(source.freshness(plan)));
    Future<ObjectNode> rejected = section(() -> rejectedJson(source.rejected(view, SAMPLE_LIMIT)));
    Future<ObjectNode> job = section(() -> jobJson(view, source.jobs()));
    Future.all(freshness, rejected, job)
        .onComplete(
            done -> {
              try {
                ObjectNode body = GatewayRequestHandler.object();
                body.put("view", view);
                body.put("version", plan.versionTag());
                body.set("freshness", freshness.result());
                body.set("staleness", stalenessJson(metrics.staleness(view)));
                body.set("rejected", rejected.result());
                ObjectNode jobNode = job.result();
                if (jobNode.has("none")) {
                  body.putNull("job");
                } else {
                  body.set("job", jobNode);
                }
                exchange.json(200, body);
              } catch (RuntimeException e) {
                GatewayRequestHandler.internalError(exchange, e);
              }
            });
  }

  /** The Flink cluster's jobs. */
  void jobs(Exchange exchange) {
    section(
            () -> {
              ObjectNode body = available();
              ArrayNode list = body.putArray("jobs");
              source.jobs().stream()
                  .sorted(Comparator.comparing(ConsoleSource.Job::startTime).reversed())
                  .forEach(j -> list.add(jobFields(j)));
              return body;
            })
        .onComplete(
            done -> {
              try {
                exchange.json(200, done.result());
              } catch (RuntimeException e) {
                GatewayRequestHandler.internalError(exchange, e);
              }
            });
  }

  private ObjectNode freshnessJson(ConsoleSource.Freshness f) {
    ObjectNode n = available();
    n.put("table", f.table());
    Instant now = clock.instant();
    putInstant(n, "newest_feature_ts", f.newestFeatureTs());
    putInstant(n, "newest_commit_at", f.newestCommitAt());
    n.put("rows_in_newest_commit", f.rowsInNewestCommit());
    putLag(n, f, now);
    putSeconds(n, "commit_age_seconds", f.newestCommitAt(), now);
    n.put("note", f.note());
    return n;
  }

  private static ObjectNode stalenessJson(GatewayMetrics.Staleness s) {
    ObjectNode n = GatewayRequestHandler.object();
    n.put("count", s.count());
    n.put("p50_seconds", s.quantileUpperBound(0.5));
    n.put("p99_seconds", s.quantileUpperBound(0.99));
    n.put("max_seconds", s.maxSeconds());
    ArrayNode buckets = n.putArray("buckets");
    for (GatewayMetrics.Staleness.Bucket b : s.buckets()) {
      buckets.addObject().put("le_seconds", b.leSeconds()).put("count", b.count());
    }
    return n;
  }

  private static ObjectNode rejectedJson(ConsoleSource.Rejections r) {
    ObjectNode n = available();
    n.put("total", r.total());
    ArrayNode byReason = n.putArray("by_reason");
    for (ConsoleSource.ReasonCount c : r.byReason()) {
      byReason.addObject().put("kind", c.kind()).put("reason", c.reason()).put("count", c.count());
    }
    ArrayNode samples = n.putArray("samples");
    for (ConsoleSource.Sample s : r.samples()) {
      ObjectNode o = samples.addObject();
      o.put("kind", s.kind());
      o.put("reason", s.reason());
      o.put("origin", s.origin());
      o.put("payload", s.payload());
      putInstant(o, "event_ts", s.eventTs());
      putInstant(o, "received_at", s.receivedAt());
    }
    return n;
  }

  /**
   * The job computing {@code view}: the newest that is still running, else the newest that ended;
   * {@code {"none": true}} when no job computes it.
   */
  private static ObjectNode jobJson(String view, List<ConsoleSource.Job> jobs) {
    Comparator<ConsoleSource.Job> preferred =
        Comparator.comparing((ConsoleSource.Job j) -> !TERMINAL_JOB_STATES.contains(j.state()))
            .thenComparing(ConsoleSource.Job::startTime);
    return jobs.stream()
        .filter(j -> j.views().contains(view))
        .max(preferred)
        .map(j -> (ObjectNode) available().setAll(jobFields(j)))
        .orElseGet(() -> GatewayRequestHandler.object().put("none", true));
  }

  private static ObjectNode jobFields(ConsoleSource.Job j) {
    ObjectNode n = GatewayRequestHandler.object();
    n.put("job_id", j.id());
    n.put("name", j.name());
    n.put("state", j.state());
    putInstant(n, "start_time", j.startTime());
    ArrayNode views = n.putArray("views");
    j.views().stream().sorted().forEach(views::add);
    return n;
  }

  private static ObjectNode available() {
    return GatewayRequestHandler.object().put("available", true);
  }

  private static ObjectNode unavailable(String reason) {
    return GatewayRequestHandler.object().put("available", false).put("reason", reason);
  }

  private static void putInstant(ObjectNode n, String field, Instant value) {
    n.put(field, value == null ? null : value.toString());
  }

  /**
   * How far behind now the newest stored data is: from the newest window end, or, when that is
   * later than the newest commit (a request-time view's open tile ends in the future), from the
   * commit, up to which the tile's events were counted; never below 0.
   */
  private static void putLag(ObjectNode n, ConsoleSource.Freshness f, Instant now) {
    Instant upTo = f.newestFeatureTs();
    if (upTo != null && f.newestCommitAt() != null && f.newestCommitAt().isBefore(upTo)) {
      upTo = f.newestCommitAt();
    }
    if (upTo != null && upTo.isAfter(now)) {
      upTo = now;
    }
    putSeconds(n, "lag_seconds", upTo, now);
  }

  private static void putSeconds(ObjectNode n, String field, Instant from, Instant now) {
    if (from == null) {
      n.putNull(field);
    } else {
      n.put(field, Duration.between(from, now).toMillis() / 1000.0);
    }
  }

  /**
   * Runs {@code work} on the console's worker pool; the future, completed on the caller's event
   * loop, always succeeds: with the work's answer, or with {@code available: false} and why.
   */
  private Future<ObjectNode> section(Callable<ObjectNode> work) {
    Context context = Vertx.currentContext();
    Vertx vertx = context.owner();
    Promise<ObjectNode> answer = Promise.promise();
    long timer =
        vertx.setTimer(
            SOURCE_TIMEOUT.toMillis(),
            id ->
                answer.tryFail(
                    new TimeoutException("no answer within " + SOURCE_TIMEOUT.toSeconds() + " s")));
    workers(vertx)
        .executeBlocking(work, false)
        .onComplete(
            result -> {
              vertx.cancelTimer(timer);
              if (result.succeeded()) {
                answer.tryComplete(result.result());
              } else {
                answer.tryFail(result.cause());
              }
            });
    Promise<ObjectNode> onContext = Promise.promise();
    answer
        .future()
        .onComplete(
            result ->
                context.runOnContext(
                    v ->
                        onContext.complete(
                            result.succeeded() ? result.result() : failure(result.cause()))));
    return onContext.future();
  }

  private static ObjectNode failure(Throwable cause) {
    if (cause instanceof ConsoleUnavailableException) {
      return unavailable(cause.getMessage());
    }
    if (cause instanceof TimeoutException) {
      return unavailable("the source did not answer in time: " + cause.getMessage());
    }
    LOG.warn("console source failed", cause);
    String message = cause.getMessage() == null ? "" : ": " + cause.getMessage();
    return unavailable(
        "reading it failed ("
            + cause.getClass().getSimpleName()
            + message
            + "; see the gateway's log)");
  }

  private WorkerExecutor workers(Vertx vertx) {
    WorkerExecutor w = workers;
    if (w == null) {
      synchronized (this) {
        if (workers == null) {
          workers = vertx.createSharedWorkerExecutor("freshet-console", 4);
        }
        w = workers;
      }
    }
    return w;
  }
}
