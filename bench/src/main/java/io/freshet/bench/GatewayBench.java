package io.freshet.bench;

import io.freshet.examples.UserActivity;
import io.freshet.gateway.GatewayConfig;
import io.freshet.gateway.GatewayServer;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.OnlineCodec;
import io.freshet.storage.OnlineKeys;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.LongFunction;
import java.util.stream.Collectors;

/**
 * Gateway latency on loopback: N entities of {@code user_activity} in Redis, Freshet's gateway in
 * this JVM, and an open-loop Vert.x HTTP client at fixed rates; raw Redis GETs through Lettuce at
 * the same rates and concurrency as the physical reference.
 */
public final class GatewayBench {
  static final int CONCURRENCY = 32;

  /**
   * A request unanswered for this long fails and counts as an error, its latency still recorded
   * from when it was due; without it one lost response would stall a run.
   */
  static final long REQUEST_TIMEOUT_MILLIS = 2_000;

  static final int[] RATES = {2_000, 5_000, 10_000, 20_000};

  private GatewayBench() {}

  static Map<String, Object> run(String redisUri, int entities, int seconds) throws Exception {
    return run(redisUri, entities, seconds, 2, RATES, new int[] {100, 500});
  }

  static Map<String, Object> run(
      String redisUri, int entities, int seconds, int warmup, int[] rates, int[] rates100)
      throws Exception {
    ViewPlan plan = ViewPlan.of(UserActivity.view());
    OnlineCodec codec = new OnlineCodec(plan);
    RedisClient redis = RedisClient.create(redisUri);
    StatefulRedisConnection<byte[], byte[]> conn = redis.connect(ByteArrayCodec.INSTANCE);
    conn.sync().flushdb();
    List<RedisFuture<?>> pending = new ArrayList<>();
    List<byte[]> keys = new ArrayList<>(entities);
    long featureTs = System.currentTimeMillis() - 60_000;
    for (int i = 0; i < entities; i++) {
      FeatureRow r = OnlineMemoryBench.row(plan, i);
      FeatureRow fresh = new FeatureRow(r.entityKey(), featureTs, r.values());
      byte[] k = OnlineKeys.keyBytes(plan, fresh.entityKey());
      keys.add(k);
      pending.add(conn.async().set(k, codec.encode(fresh)));
      OnlineMemoryBench.drain(pending, 1000);
    }
    OnlineMemoryBench.drain(pending, 0);

    GatewayServer gw =
        GatewayServer.start(
            new GatewayConfig(0, redisUri, Catalog.of(List.of(UserActivity.view()))));
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    HttpClient http =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setDefaultHost("127.0.0.1")
                .setDefaultPort(gw.port())
                .setKeepAlive(true)
                .setPipelining(false),
            new PoolOptions().setHttp1MaxSize(CONCURRENCY).setMaxWaitQueueSize(-1));
    Map<String, Object> res = new LinkedHashMap<>();
    try {
      res.put("entities", entities);
      res.put("concurrency", CONCURRENCY);
      res.put("measuredSecondsPerRate", seconds);
      res.put("client", "Vert.x HttpClient, HTTP/1.1 keep-alive, 1 event loop, same JVM");
      String allFeatures =
          plan.parts().stream()
              .map(p -> "\"" + plan.name() + ":" + p.name() + "\"")
              .collect(Collectors.joining(","));
      int n = entities;
      LongFunction<CompletionStage<Integer>> get1 =
          i -> send(http, HttpMethod.GET, "/features/user_activity/user_" + pick(i, n), null);
      LongFunction<CompletionStage<Integer>> post1 =
          i ->
              send(
                  http,
                  HttpMethod.POST,
                  "/get-online-features",
                  "{\"features\":["
                      + allFeatures
                      + "],\"entities\":{\"user_id\":[\"user_"
                      + pick(i, n)
                      + "\"]}}");
      LongFunction<CompletionStage<Integer>> post100 =
          i -> {
            StringBuilder b = new StringBuilder("{\"features\":[" + allFeatures + "],");
            b.append("\"entities\":{\"user_id\":[");
            for (int j = 0; j < 100; j++) {
              b.append(j == 0 ? "\"" : ",\"").append("user_").append(pick(i * 100 + j, n));
              b.append('"');
            }
            return send(http, HttpMethod.POST, "/get-online-features", b.append("]}}").toString());
          };
      var async = conn.async();
      LongFunction<CompletionStage<Integer>> redisGet =
          i -> async.get(keys.get(pick(i, n))).thenApply(v -> v == null ? 404 : 200);

      check(get1.apply(0));
      check(post1.apply(0));
      check(post100.apply(0));

      Map<String, Object> cases = new LinkedHashMap<>();
      cases.put("GET 1 entity x user_activity", sweep(get1, rates, warmup, seconds));
      cases.put("POST 1 entity x user_activity", sweep(post1, rates, warmup, seconds));
      cases.put("POST 100 entities x user_activity", sweep(post100, rates100, warmup, seconds));
      cases.put("raw Redis GET (Lettuce)", sweep(redisGet, rates, warmup, seconds));
      res.put("fixedRate", cases);

      Map<String, Object> max = new LinkedHashMap<>();
      max.put(
          "GET 1 entity x user_activity",
          OpenLoop.maxThroughput(CONCURRENCY, Math.max(1, seconds / 2), get1));
      max.put(
          "raw Redis GET (Lettuce)",
          OpenLoop.maxThroughput(CONCURRENCY, Math.max(1, seconds / 2), redisGet));
      res.put("closedLoopMaxRequestsPerSecond", max);
      System.out.println("gateway: " + max);
    } finally {
      http.close();
      vertx.close();
      gw.close();
      conn.sync().flushdb();
      conn.close();
      redis.shutdown();
    }
    return res;
  }

  static Map<String, Object> sweep(
      LongFunction<CompletionStage<Integer>> op, int[] rates, int warmup, int seconds)
      throws InterruptedException {
    Map<String, Object> byRate = new LinkedHashMap<>();
    int best = 0;
    for (int rate : rates) {
      Map<String, Object> m = OpenLoop.run(rate, warmup, seconds, op);
      System.out.println("  rate " + rate + ": " + m);
      byRate.put(String.valueOf(rate), m);
      if ((double) m.get("p99Millis") < 5.0 && !(boolean) m.get("saturated")) {
        best = Math.max(best, rate);
      }
    }
    byRate.put("maxTestedRateWithP99Under5ms", best);
    return byRate;
  }

  static int pick(long i, int n) {
    return (int) Long.remainderUnsigned(EventGen.mix(i), n);
  }

  /**
   * Sends one request. The body must be asked for in the same callback that receives the response:
   * chained as a second {@code compose} from the generator's thread, that callback could be
   * attached after the response had arrived and then ran as a later event-loop task, by which time
   * Vert.x had delivered the body to a response nobody read, and {@code body()} never completed
   * (the request's idle timeout no longer applies once the response has ended).
   */
  static CompletionStage<Integer> send(HttpClient http, HttpMethod m, String uri, String body) {
    return http.request(
            new RequestOptions().setMethod(m).setURI(uri).setIdleTimeout(REQUEST_TIMEOUT_MILLIS))
        .compose(
            req -> {
              io.vertx.core.Future<io.vertx.core.http.HttpClientResponse> sent;
              if (body == null) {
                sent = req.send();
              } else {
                req.putHeader("content-type", "application/json");
                sent = req.send(Buffer.buffer(body));
              }
              return sent.compose(resp -> resp.body().map(b -> resp.statusCode()));
            })
        .toCompletionStage();
  }

  static void check(CompletionStage<Integer> s) throws Exception {
    int status = s.toCompletableFuture().get();
    if (status != 200) {
      throw new IllegalStateException("gateway answered " + status + " to the warm-up request");
    }
  }

  static String partNames(ViewPlan plan) {
    return plan.parts().stream().map(FeaturePart::name).collect(Collectors.joining(","));
  }
}
