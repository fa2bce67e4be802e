package io.freshet.gateway;

import static io.freshet.gateway.GatewayClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TcpProxy;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redis outages: the gateway answers a fast 503 in JSON while Redis is away and serves again by
 * itself once it is back. Outages are staged with a {@link TcpProxy} in front of the real Redis.
 */
class GatewayRedisOutageTest {
  private static final int DB = 1;
  private static final String FEATURES = "/features/user_activity/user_7";

  /** How long recovery may take in the polling tests; the load test holds it to 1 s. */
  private static final Duration RECOVERY = Duration.ofSeconds(5);

  /** The bound on the first success after Redis returns. */
  private static final long MAX_RECOVERY_MILLIS = 1_000;

  /** Clients of the load, each sending its next request as soon as it has an answer. */
  private static final int LOAD_THREADS = 2;

  private static Catalog catalog;
  private TcpProxy proxy;

  @BeforeAll
  static void writeOneRow() {
    catalog = TestViews.catalog();
    ViewPlan plan = catalog.plan("user_activity");
    try (OnlineTableWriter table = new OnlineTableWriter(TestRedis.uri(DB))) {
      table.flushDb();
      long ts = Instant.now().truncatedTo(ChronoUnit.HOURS).toEpochMilli();
      table.write(plan, ActivityRows.of("user_7", ts, 4, 1, 2.5));
      table.write(catalog.plan("user_activity_live"), ActivityRows.of("user_8", ts, 9, 0, 0.0));
    }
  }

  @BeforeEach
  void createProxy() throws IOException {
    RedisURI redis = RedisURI.create(TestRedis.uri(DB));
    proxy = new TcpProxy(redis.getHost(), redis.getPort());
  }

  @AfterEach
  void closeProxy() throws IOException {
    proxy.close();
  }

  /** The test Redis, reached through the proxy. */
  private String viaProxy() {
    RedisURI redis = RedisURI.create(TestRedis.uri(DB));
    redis.setHost("127.0.0.1");
    redis.setPort(proxy.port());
    return redis.toURI().toString();
  }

  @Test
  void unreachable_redis_is_a_fast_503_with_json() {
    try (GatewayServer gateway =
        GatewayServer.start(new GatewayConfig(0, "redis://127.0.0.1:1", catalog))) {
      GatewayClient client = new GatewayClient(gateway.port());

      for (int i = 0; i < 3; i++) {
        HttpResponse<String> response = client.get(FEATURES);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode body = json(response);
        assertThat(body.get("error").asText()).isEqualTo("online_store_unavailable");
        assertThat(body.get("message").asText()).startsWith("Redis at 127.0.0.1:1/0 ");
      }
      HttpResponse<String> ready = client.get("/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(json(ready).get("status").asText()).isEqualTo("NOT_READY");
      assertThat(json(ready).get("error").asText()).isEqualTo("online_store_unavailable");
      assertThat(client.get("/health").statusCode()).isEqualTo(200);
      assertThat(client.get("/features/nope/user_7").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void recovers_by_itself_when_redis_returns() throws IOException {
    proxy.start();
    try (GatewayServer gateway = GatewayServer.start(new GatewayConfig(0, viaProxy(), catalog))) {
      GatewayClient client = new GatewayClient(gateway.port());
      // The first connection may take longer than the 250 ms connect timeout on a busy machine;
      // the gateway keeps retrying it, and what is tested here starts once it is up.
      awaitStatus(client, 200);

      proxy.stop();
      HttpResponse<String> down = awaitStatus(client, 503);
      assertThat(json(down).get("error").asText()).isEqualTo("online_store_unavailable");
      assertThat(client.get("/ready").statusCode()).isEqualTo(503);

      proxy.start();
      HttpResponse<String> up = awaitStatus(client, 200);
      assertThat(json(up).get("features").get("event_count_1h").longValue()).isEqualTo(4L);
      assertThat(client.get("/ready").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void redis_that_stops_answering_is_a_503_after_the_command_timeout() throws IOException {
    proxy.start();
    try (GatewayServer gateway = GatewayServer.start(new GatewayConfig(0, viaProxy(), catalog))) {
      GatewayClient client = new GatewayClient(gateway.port());
      // The first connection may take longer than the 250 ms connect timeout on a busy machine;
      // the gateway keeps retrying it, and what is tested here starts once it is up.
      awaitStatus(client, 200);

      proxy.freeze();
      HttpResponse<String> stuck = client.get(FEATURES);
      proxy.thaw();

      assertThat(stuck.statusCode()).isEqualTo(503);
      assertThat(json(stuck).get("message").asText()).contains("timed out after 250 millisecond");
      awaitStatus(client, 200);
    }
  }

  @Test
  void starts_without_redis_and_serves_once_it_appears() throws IOException {
    try (GatewayServer gateway = GatewayServer.start(new GatewayConfig(0, viaProxy(), catalog))) {
      GatewayClient client = new GatewayClient(gateway.port());
      assertThat(client.get(FEATURES).statusCode()).isEqualTo(503);

      proxy.start();
      HttpResponse<String> up = awaitStatus(client, 200);
      assertThat(json(up).get("entity").asText()).isEqualTo("user_7");
    }
  }

  /**
   * One answer seen by the load: when it was sent and answered, its status, and whether it was a
   * 503 that had waited for the Redis command timeout instead of failing fast.
   */
  private record Answer(long sentNanos, long answeredNanos, int status, boolean timedOut) {
    long millis() {
      return (answeredNanos - sentNanos) / 1_000_000;
    }
  }

  /**
   * Two clients send get-online-features over keep-alive connections, each its next request as soon
   * as it has an answer; Redis is cut after 1 s and returns 1.5 s later. Each request's latency is
   * measured by its client, from before the write to the end of the answer.
   */
  @Test
  void redis_stopped_mid_load_answers_each_request_503_without_waiting_and_recovers_within_1_s()
      throws Exception {
    proxy.start();
    try (GatewayServer gateway = GatewayServer.start(new GatewayConfig(0, viaProxy(), catalog))) {
      String body =
          "{\"features\": [\"user_activity:event_count_1h\","
              + " \"user_activity_live:event_count_1h\"], \"full_feature_names\": true,"
              + " \"entities\": {\"user_id\": [\"user_7\", \"user_8\", \"user_9\"]}}";
      byte[] request =
          ("POST /get-online-features HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                  + body.length()
                  + "\r\n\r\n"
                  + body)
              .getBytes(StandardCharsets.UTF_8);
      AtomicBoolean running = new AtomicBoolean(true);
      List<String> errors = new CopyOnWriteArrayList<>();
      ExecutorService load = Executors.newFixedThreadPool(LOAD_THREADS);
      List<Future<List<Answer>>> drivers = new ArrayList<>();
      for (int t = 0; t < LOAD_THREADS; t++) {
        drivers.add(load.submit(() -> drive(gateway.port(), request, running, errors)));
      }
      long cut;
      long restored;
      try {
        sleep(1_000);
        cut = System.nanoTime();
        proxy.stop();
        sleep(1_500);
        restored = System.nanoTime();
        proxy.start();
        sleep(1_500);
      } finally {
        running.set(false);
        load.shutdown();
        assertThat(load.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      }
      List<Answer> answers = new ArrayList<>();
      for (Future<List<Answer>> driver : drivers) {
        answers.addAll(driver.get());
      }

      assertThat(errors).as("requests without an answer").isEmpty();
      assertThat(answers).extracting(Answer::status).containsOnly(200, 503);
      List<Answer> unavailable = answers.stream().filter(a -> a.status() == 503).toList();
      List<Long> latencies = unavailable.stream().map(Answer::millis).sorted().toList();
      Answer firstSuccess =
          answers.stream()
              .filter(a -> a.status() == 200 && a.answeredNanos() > restored)
              .min(Comparator.comparingLong(Answer::answeredNanos))
              .orElseThrow(() -> new AssertionError("no success after Redis returned"));
      long recoveryMillis = (firstSuccess.answeredNanos() - restored) / 1_000_000;
      List<Long> served =
          answers.stream().filter(a -> a.status() == 200).map(Answer::millis).sorted().toList();
      System.out.printf(
          "outage under load: %d answers; %d x 200 (latency p99 %d ms, max %d ms); %d x 503"
              + " (latency p50 %d ms, p99 %d ms, max %d ms), first 503 %d ms after the cut, first"
              + " 200 %d ms after Redis returned%n",
          answers.size(),
          served.size(),
          percentile(served, 0.99),
          served.get(served.size() - 1),
          unavailable.size(),
          percentile(latencies, 0.50),
          percentile(latencies, 0.99),
          latencies.get(latencies.size() - 1),
          (unavailable.stream().mapToLong(Answer::answeredNanos).min().orElseThrow() - cut)
              / 1_000_000,
          recoveryMillis);
      // Fast means the gateway knew Redis was away and did not wait for the command timeout; how
      // fast is the figure printed above (a GC pause on a loaded machine must not fail the test).
      List<String> waited =
          unavailable.stream()
              .filter(Answer::timedOut)
              .map(
                  a ->
                      String.format(
                          "sent %.1f ms after the cut, answered in %.1f ms",
                          (a.sentNanos() - cut) / 1e6, (a.answeredNanos() - a.sentNanos()) / 1e6))
              .toList();
      assertThat(unavailable).as("503s during the outage").hasSizeGreaterThan(100);
      assertThat(waited).as("503s that waited for the command timeout").isEmpty();
      assertThat(recoveryMillis).isLessThanOrEqualTo(MAX_RECOVERY_MILLIS);
      assertThat(answers.stream().filter(a -> a.answeredNanos() < cut).map(Answer::status))
          .as("answers before the cut")
          .containsOnly(200);
    }
  }

  /** Sends the request over one keep-alive connection until told to stop; returns the answers. */
  private static List<Answer> drive(
      int port, byte[] request, AtomicBoolean running, List<String> errors) {
    List<Answer> answers = new ArrayList<>(100_000);
    try (KeepAliveConnection connection = new KeepAliveConnection(port)) {
      while (running.get()) {
        long sent = System.nanoTime();
        try {
          GatewayClient.RawResponse response = connection.send(request);
          long answered = System.nanoTime();
          int status = response.statusCode();
          boolean timedOut = status == 503 && response.body().contains("timed out");
          answers.add(new Answer(sent, answered, status, timedOut));
        } catch (IOException e) {
          errors.add(e.toString());
        }
      }
    } catch (IOException e) {
      errors.add(e.toString());
    }
    return answers;
  }

  private static long percentile(List<Long> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(p * sorted.size())));
  }

  /**
   * Polls {@link #FEATURES} until it answers {@code status}; meanwhile every answer must be a 200
   * or a 503, never a hang or a 500.
   */
  private static HttpResponse<String> awaitStatus(GatewayClient client, int status) {
    long deadline = System.nanoTime() + RECOVERY.toNanos();
    Set<Integer> seen = new HashSet<>();
    while (true) {
      HttpResponse<String> response = client.get(FEATURES);
      seen.add(response.statusCode());
      assertThat(response.statusCode()).as("answers seen: %s", seen).isIn(200, 503);
      if (response.statusCode() == status) {
        return response;
      }
      assertThat(System.nanoTime())
          .as("no %d within %s (answers seen: %s)", status, RECOVERY, seen)
          .isLessThan(deadline);
      sleep(50);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
