package io.freshet.bench;

import io.freshet.examples.UserActivity;
import io.freshet.gateway.GatewayConfig;
import io.freshet.gateway.GatewayLimits;
import io.freshet.gateway.GatewayServer;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.stream.Collectors;

/**
 * Gateway latency on loopback: N entities of {@code user_activity}, of the 50-feature {@code
 * user_wide} and of the 500-feature {@code user_wide_500} in Redis, Freshet's gateway in this JVM,
 * and an open-loop HTTP client at fixed rates ({@link OpenLoop}); raw Redis GETs through Lettuce
 * with the same number of connections and requests in flight as the physical reference.
 *
 * <p>Both clients hold {@link #CONNECTIONS} connections with at most one request on each (HTTP/1.1
 * keep-alive, no pipelining; one Redis command per connection at a time) and queue the rest, at
 * most {@link #WAIT_QUEUE} requests; a request that finds the queue full fails and is counted.
 */
public final class GatewayBench {
  static final int CONNECTIONS = 32;
  static final int WAIT_QUEUE = 20_000;
  static final double P99_BOUND_MILLIS = 5.0;
  static final int WARMUP_ATTEMPTS = 5;
  static final long WARMUP_WAIT_SECONDS = 10;

  private GatewayBench() {}

  /** Durations and rates; {@link #defaults} keeps the whole benchmark to about 6 minutes. */
  record Settings(
      double warmupSeconds,
      double seconds,
      double searchWarmupSeconds,
      double searchSeconds,
      long timeoutMillis,
      int[] rates1,
      int[] ratesPost1,
      int[] rates100,
      int[] ratesWide500,
      int[] ratesRedis,
      int searchStart,
      int searchCeiling) {

    static Settings defaults(double seconds) {
      return new Settings(
          2,
          seconds,
          1,
          3,
          2_000,
          new int[] {1_000, 2_000, 5_000, 10_000, 20_000},
          new int[] {2_000, 5_000, 10_000},
          new int[] {100, 200, 500},
          new int[] {500, 1_000, 2_000},
          new int[] {2_000, 5_000, 10_000, 20_000, 40_000},
          1_000,
          256_000);
    }

    /**
     * From BenchMain's options: {@code --gateway-seconds} (measured seconds per fixed-rate run,
     * default 10), {@code --gateway-warmup} (2), {@code --gateway-search-seconds} (3 per search
     * step, after 1 s of warm-up), {@code --gateway-timeout-ms} (2000).
     */
    static Settings from(Map<String, String> a) {
      Settings d = defaults(Double.parseDouble(a.getOrDefault("gateway-seconds", "10")));
      return new Settings(
          Double.parseDouble(a.getOrDefault("gateway-warmup", "2")),
          d.seconds(),
          d.searchWarmupSeconds(),
          Double.parseDouble(a.getOrDefault("gateway-search-seconds", "3")),
          Long.parseLong(a.getOrDefault("gateway-timeout-ms", "2000")),
          d.rates1(),
          d.ratesPost1(),
          d.rates100(),
          d.ratesWide500(),
          d.ratesRedis(),
          d.searchStart(),
          d.searchCeiling());
    }

    OpenLoop.Plan plan(int rate) {
      return new OpenLoop.Plan(rate, warmupSeconds, seconds, timeoutMillis);
    }

    OpenLoop.Plan searchStep() {
      return new OpenLoop.Plan(0, searchWarmupSeconds, searchSeconds, timeoutMillis);
    }

    Map<String, Object> describe() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("warmupSeconds", warmupSeconds);
      m.put("measuredSecondsPerRate", seconds);
      m.put("searchStepSeconds", searchSeconds);
      m.put("searchStepWarmupSeconds", searchWarmupSeconds);
      m.put("requestTimeoutMillis", timeoutMillis);
      return m;
    }
  }

  static Map<String, Object> run(String redisUri, int entities, Settings s) throws Exception {
    ViewPlan activity = ViewPlan.of(UserActivity.view());
    ViewPlan wide = ViewPlan.of(WideView.view());
    ViewPlan wide500 = ViewPlan.of(WideView.view500());
    RedisClient redis = RedisClient.create(redisUri);
    StatefulRedisConnection<byte[], byte[]> conn = redis.connect(ByteArrayCodec.INSTANCE);
    List<StatefulRedisConnection<byte[], byte[]>> raw = new ArrayList<>();
    GatewayServer gw = null;
    Vertx vertx = null;
    Map<String, Object> res = new LinkedHashMap<>();
    try {
      conn.sync().flushdb();
      long featureTs = System.currentTimeMillis() - 60_000;
      long fillStart = System.nanoTime();
      List<byte[]> keys =
          fill(
              conn, activity, entities, i -> withTs(OnlineMemoryBench.row(activity, i), featureTs));
      fill(conn, wide, entities, i -> WideView.row(wide, i, featureTs));
      fill(conn, wide500, entities, i -> WideView.row(wide500, i, featureTs));
      res.put("fillSeconds", (System.nanoTime() - fillStart) / 1e9);

      // Requests of 500 features: above the default limit of features per request.
      gw =
          GatewayServer.start(
              new GatewayConfig(
                      0,
                      redisUri,
                      Catalog.of(List.of(UserActivity.view(), WideView.view(), WideView.view500())))
                  .withLimits(GatewayLimits.defaults().withMaxFeatures(WideView.FEATURES_500)));
      vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
      HttpLoad http = new HttpLoad(vertx, gw.port(), s.timeoutMillis());
      for (int c = 0; c < CONNECTIONS; c++) {
        raw.add(redis.connect(ByteArrayCodec.INSTANCE));
      }
      Slots<StatefulRedisConnection<byte[], byte[]>> redisSlots = new Slots<>(raw);

      res.put("entities", entities);
      res.put("connections", CONNECTIONS);
      res.put("waitQueue", WAIT_QUEUE);
      res.putAll(s.describe());
      res.put(
          "client",
          "Vert.x HttpClient in this JVM, 1 event loop, "
              + CONNECTIONS
              + " HTTP/1.1 keep-alive connections without pipelining (one request per connection"
              + " at a time); raw Redis: Lettuce, "
              + CONNECTIONS
              + " connections, one GET per connection at a time");
      String activityAll = refs(activity, activity.parts().size());
      String wideAll = refs(wide, WideView.FEATURES);
      String wide10 = refs(wide, 10);
      String wide500All = refs(wide500, WideView.FEATURES_500);
      int n = entities;
      Map<String, LongFunction<CompletionStage<Integer>>> ops = new LinkedHashMap<>();
      ops.put(
          "GET 1 entity x user_activity",
          i -> http.send(HttpMethod.GET, "/features/user_activity/user_" + pick(i, n), null));
      ops.put("POST 1 entity x user_activity", i -> http.post(post(activityAll, i, 1, n)));
      ops.put("POST 1 entity x 50 features", i -> http.post(post(wideAll, i, 1, n)));
      ops.put("POST 1 entity x 500 features", i -> http.post(post(wide500All, i, 1, n)));
      ops.put("POST 100 entities x 10 features", i -> http.post(post(wide10, i, 100, n)));
      ops.put("POST 100 entities x user_activity", i -> http.post(post(activityAll, i, 100, n)));
      String redisCase = "raw Redis GET (Lettuce, " + CONNECTIONS + " connections)";
      ops.put(
          redisCase,
          i ->
              redisSlots.submit(
                  c -> c.async().get(keys.get(pick(i, n))).thenApply(v -> v == null ? 404 : 200)));

      // Warm-up and a check that every shape is answered 200 with rows found, each bounded.
      for (var e : ops.entrySet()) {
        check(e.getKey(), () -> e.getValue().apply(0));
      }
      check(
          "POST 1 entity x 50 features (body)",
          () ->
              http.body(post(wideAll, 0, 1, n))
                  .thenApply(b -> b.contains("NOT_FOUND") ? 404 : 200));
      check(
          "POST 1 entity x 500 features (body)",
          () ->
              http.body(post(wide500All, 0, 1, n))
                  .thenApply(b -> b.contains("NOT_FOUND") ? 404 : 200));

      Map<String, int[]> rates = new LinkedHashMap<>();
      rates.put("GET 1 entity x user_activity", s.rates1());
      rates.put("POST 1 entity x user_activity", s.ratesPost1());
      rates.put("POST 1 entity x 50 features", s.ratesPost1());
      rates.put("POST 1 entity x 500 features", s.ratesWide500());
      rates.put("POST 100 entities x 10 features", s.rates100());
      rates.put(
          "POST 100 entities x user_activity",
          Arrays.copyOf(s.rates100(), Math.min(2, s.rates100().length)));
      rates.put(redisCase, s.ratesRedis());
      Map<String, Object> cases = new LinkedHashMap<>();
      res.put("fixedRate", cases);
      for (var e : rates.entrySet()) {
        System.out.println("gateway: " + e.getKey());
        cases.put(e.getKey(), sweep(ops.get(e.getKey()), e.getValue(), s));
      }

      Map<String, Object> max = new LinkedHashMap<>();
      res.put("maxRate", max);
      for (String k : List.of("GET 1 entity x user_activity", redisCase)) {
        max.put(
            k,
            OpenLoop.maxRate(
                s.searchStart(),
                s.searchCeiling(),
                P99_BOUND_MILLIS,
                s.searchStep(),
                ops.get(k),
                k));
      }
      res.put("redisCase", redisCase);
      res.put("httpRejectedByFullWaitQueue", http.rejected());
      res.put("redisRejectedByFullWaitQueue", redisSlots.rejected());
    } finally {
      if (vertx != null) {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      if (gw != null) {
        gw.close();
      }
      for (var c : raw) {
        c.close();
      }
      conn.sync().flushdb();
      conn.close();
      redis.shutdown();
    }
    return res;
  }

  private static FeatureRow withTs(FeatureRow r, long featureTs) {
    return new FeatureRow(r.entityKey(), featureTs, r.values());
  }

  /** Writes rows 0..n-1 under the view's keys and value encoding; returns the keys. */
  private static List<byte[]> fill(
      StatefulRedisConnection<byte[], byte[]> conn,
      ViewPlan plan,
      int n,
      java.util.function.IntFunction<FeatureRow> row)
      throws Exception {
    OnlineCodec codec = new OnlineCodec(plan);
    List<RedisFuture<?>> pending = new ArrayList<>();
    List<byte[]> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      FeatureRow r = row.apply(i);
      byte[] k = OnlineKeys.keyBytes(plan, r.entityKey());
      keys.add(k);
      pending.add(conn.async().set(k, codec.encode(r)));
      OnlineMemoryBench.drain(pending, 1000);
    }
    OnlineMemoryBench.drain(pending, 0);
    return keys;
  }

  /** The first {@code count} features of the view, as a JSON list of "view:feature" strings. */
  static String refs(ViewPlan plan, int count) {
    return plan.parts().stream()
        .limit(count)
        .map(p -> "\"" + plan.name() + ":" + p.name() + "\"")
        .collect(Collectors.joining(","));
  }

  /** A Feast request body for {@code entities} entities picked from request index {@code i}. */
  static String post(String features, long i, int entities, int n) {
    StringBuilder b = new StringBuilder("{\"features\":[").append(features).append("],");
    b.append("\"entities\":{\"user_id\":[");
    for (int j = 0; j < entities; j++) {
      b.append(j == 0 ? "\"" : ",\"").append("user_").append(pick(i * entities + j, n));
      b.append('"');
    }
    return b.append("]}}").toString();
  }

  static Map<String, Object> sweep(
      LongFunction<CompletionStage<Integer>> op, int[] rates, Settings s)
      throws InterruptedException {
    Map<String, Object> byRate = new LinkedHashMap<>();
    for (int rate : rates) {
      Map<String, Object> m = OpenLoop.run(s.plan(rate), op);
      System.out.println("  rate " + rate + ": " + OpenLoop.brief(m));
      byRate.put(String.valueOf(rate), m);
    }
    return byRate;
  }

  static int pick(long i, int n) {
    return (int) Long.remainderUnsigned(EventGen.mix(i), n);
  }

  /**
   * Warm-up: the first request of a shape (a new connection, cold code) may take longer than the
   * per-request timeout on a loaded machine, so it is tried up to {@link #WARMUP_ATTEMPTS} times;
   * each attempt ends within its timeout, so this wait is bounded too.
   */
  static void check(String what, java.util.function.Supplier<CompletionStage<Integer>> request)
      throws Exception {
    Exception last = null;
    for (int attempt = 0; attempt < WARMUP_ATTEMPTS; attempt++) {
      try {
        int status = request.get().toCompletableFuture().get(WARMUP_WAIT_SECONDS, TimeUnit.SECONDS);
        if (status != 200) {
          throw new IllegalStateException(
              what + ": answered " + status + " to the warm-up request");
        }
        return;
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        last = e;
      }
    }
    throw new IllegalStateException(
        what + ": no warm-up request answered in " + WARMUP_ATTEMPTS + " attempts", last);
  }

  static String partNames(ViewPlan plan) {
    return plan.parts().stream().map(FeaturePart::name).collect(Collectors.joining(","));
  }

  /**
   * The HTTP side of the load. Every request is created and consumed on one Vert.x context, and the
   * body is asked for in the same callback that receives the response: a response handed to a
   * callback scheduled later can have its body delivered, and dropped, before anyone reads it, and
   * its {@code body()} then never completes (this is what left requests unanswered in earlier runs,
   * when the chain was assembled on the generator's thread).
   */
  static final class HttpLoad {
    private final HttpClient client;
    private final Context context;
    private final long timeoutMillis;
    private final java.util.concurrent.atomic.AtomicLong rejected =
        new java.util.concurrent.atomic.AtomicLong();

    HttpLoad(Vertx vertx, int port, long timeoutMillis) {
      this.timeoutMillis = timeoutMillis;
      this.client =
          vertx.createHttpClient(
              new HttpClientOptions()
                  .setDefaultHost("127.0.0.1")
                  .setDefaultPort(port)
                  .setKeepAlive(true)
                  .setPipelining(false),
              new PoolOptions().setHttp1MaxSize(CONNECTIONS).setMaxWaitQueueSize(WAIT_QUEUE));
      this.context = vertx.getOrCreateContext();
    }

    CompletionStage<Integer> post(String body) {
      return send(HttpMethod.POST, "/get-online-features", body);
    }

    CompletionStage<Integer> send(HttpMethod m, String uri, String body) {
      return exchange(m, uri, body).thenApply(r -> r.status);
    }

    CompletionStage<String> body(String body) {
      return exchange(HttpMethod.POST, "/get-online-features", body).thenApply(r -> r.body);
    }

    long rejected() {
      return rejected.get();
    }

    private record Answer(int status, String body) {}

    private CompletionStage<Answer> exchange(HttpMethod m, String uri, String body) {
      CompletableFuture<Answer> done = new CompletableFuture<>();
      context.runOnContext(
          v -> {
            // Bounds the wait for a pooled connection and the wait for the answer; OpenLoop's own
            // timeout covers anything else.
            RequestOptions o =
                new RequestOptions()
                    .setMethod(m)
                    .setURI(uri)
                    .setConnectTimeout(timeoutMillis)
                    .setIdleTimeout(timeoutMillis);
            Future<Answer> answer =
                client
                    .request(o)
                    .compose(
                        req -> {
                          Future<io.vertx.core.http.HttpClientResponse> sent;
                          if (body == null) {
                            sent = req.send();
                          } else {
                            req.putHeader("content-type", "application/json");
                            sent = req.send(Buffer.buffer(body));
                          }
                          // Attached in this callback, before the response can arrive.
                          return sent.compose(
                              resp ->
                                  resp.body()
                                      .map(b -> new Answer(resp.statusCode(), b.toString())));
                        });
            answer.onComplete(
                ar -> {
                  if (ar.succeeded()) {
                    done.complete(ar.result());
                  } else {
                    if (String.valueOf(ar.cause().getMessage()).contains("wait queue")) {
                      rejected.incrementAndGet();
                    }
                    done.completeExceptionally(ar.cause());
                  }
                });
          });
      return done;
    }
  }

  /**
   * Connections used one request at a time, like HTTP/1.1 without pipelining: a request takes an
   * idle connection or waits in a bounded queue; a full queue fails the request at once.
   */
  static final class Slots<C> {
    private final ArrayDeque<C> idle;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private long rejected; // guarded by this

    Slots(List<C> connections) {
      this.idle = new ArrayDeque<>(connections);
    }

    CompletionStage<Integer> submit(Function<C, CompletionStage<Integer>> op) {
      CompletableFuture<Integer> done = new CompletableFuture<>();
      Runnable[] start = new Runnable[1];
      start[0] =
          () -> {
            C c;
            synchronized (this) {
              c = idle.poll();
              if (c == null) {
                if (waiting.size() >= WAIT_QUEUE) {
                  rejected++;
                  done.completeExceptionally(
                      new RejectedExecutionException("wait queue of " + WAIT_QUEUE + " is full"));
                  return;
                }
                waiting.add(start[0]);
                return;
              }
            }
            CompletionStage<Integer> s;
            try {
              s = op.apply(c);
            } catch (RuntimeException e) {
              s = CompletableFuture.failedFuture(e);
            }
            s.whenComplete(
                (v, e) -> {
                  Runnable next;
                  synchronized (this) {
                    idle.add(c);
                    next = waiting.poll();
                  }
                  if (e != null) {
                    done.completeExceptionally(e);
                  } else {
                    done.complete(v);
                  }
                  if (next != null) {
                    next.run();
                  }
                });
          };
      start[0].run();
      return done;
    }

    synchronized long rejected() {
      return rejected;
    }
  }
}
