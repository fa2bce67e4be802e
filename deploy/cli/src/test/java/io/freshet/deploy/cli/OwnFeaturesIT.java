package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.freshet.deploy.stack.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's own features from an empty folder to values at the gateway, exactly as the README walks
 * it, every step a separate process: {@code freshet init}, {@code mvn package} of the generated
 * project, the local stack ({@code freshet demo}) as the cluster, {@code freshet apply}, {@code
 * freshet submit --create-topics}, events (out of order, some malformed) sent with {@code freshet
 * produce}, and the gateway's values compared with a brute-force oracle over the events sent.
 *
 * <p>The generated view is {@code page_clicks}: per {@code page_id}, over 10 minutes sliding by 1,
 * {@code views_10m} and {@code clicks_10m} (events whose {@code action} is view or click), {@code
 * visitors_10m} (distinct {@code user_id}) and {@code click_through_rate_10m}; 30 s of
 * out-of-orderness. The oracle below is written from that description, not from Freshet's code.
 */
class OwnFeaturesIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MINUTE = 60_000;
  private static final List<String> PAGES = List.of("home", "pricing", "docs", "blog", "careers");

  @TempDir Path dir;

  /** One generated event, as the oracle sees it. */
  private record Click(String page, String user, String action, long ts) {
    String json() {
      return String.format(
          "{\"page_id\":\"%s\",\"user_id\":\"%s\",\"action\":\"%s\",\"ts\":%d}",
          page, user, action, ts);
    }
  }

  @Test
  void init_package_apply_submit_produce_then_the_gateway_serves_the_oracle_values()
      throws Exception {
    Path jar = newProject();
    int gatewayPort = Ports.free();
    int flinkPort = Ports.free();
    try (DemoProcess demo =
        DemoProcess.start(
            dir.resolve("demo.log"),
            "--port",
            Integer.toString(gatewayPort),
            "--flink-ui-port",
            Integer.toString(flinkPort),
            "--events-per-second",
            "1")) {
      String bootstrap = demo.await(Pattern.compile("broker on (\\S+?),"), Duration.ofMinutes(3));
      demo.await(Pattern.compile("Ready in \\d+ s"), Duration.ofMinutes(3));
      Map<String, String> env =
          Map.of("FRESHET_KAFKA", bootstrap, "FRESHET_FLINK", "http://localhost:" + flinkPort);

      Cli.Result apply =
          Wrapper.run(env, Duration.ofMinutes(1), "apply", "--definitions", jar.toString());
      assertThat(apply.exitCode()).as(apply.toString()).isZero();
      assertThat(apply.out()).contains("page_clicks");

      Cli.Result submit =
          Wrapper.run(
              env,
              Duration.ofMinutes(4),
              "submit",
              "--definitions",
              jar.toString(),
              "--view",
              "page_clicks",
              "--create-topics",
              "--checkpoint-interval",
              "2s");
      assertThat(submit.exitCode()).as(submit.toString()).isZero();

      // The demo's gateway was started before page_clicks was applied: it follows the registry.
      produceAndCheck(env, jar, gatewayPort);
      assertThat(demo.stop(Duration.ofMinutes(3))).as(demo.output()).isTrue();
    }
  }

  @Test
  void the_demo_runs_the_users_own_views_with_definitions() throws Exception {
    Path jar = newProject();
    int gatewayPort = Ports.free();
    try (DemoProcess demo =
        DemoProcess.start(
            dir.resolve("demo.log"),
            "--definitions",
            jar.toString(),
            "--port",
            Integer.toString(gatewayPort),
            "--flink-ui-port",
            Integer.toString(Ports.free()),
            "--checkpoint-interval",
            "2s")) {
      String bootstrap =
          demo.await(Pattern.compile("(?m)^  Kafka +(\\S+)$"), Duration.ofMinutes(3));
      String out = demo.output();
      assertThat(out)
          .contains("views of acme-features-1.0.jar applied")
          .contains("topic page-clicks")
          .contains("No sample events for acme-features-1.0.jar")
          .contains("produce --view page_clicks --definitions ")
          .doesNotContain("replayed");
      produceAndCheck(Map.of("FRESHET_KAFKA", bootstrap), jar, gatewayPort);
      assertThat(demo.stop(Duration.ofMinutes(3))).as(demo.output()).isTrue();
    }
  }

  /** {@code freshet init} into a new folder and {@code mvn package} there; the jar it built. */
  private Path newProject() throws Exception {
    Path project = dir.resolve("acme-features");
    Cli.Result init = Wrapper.run(Map.of(), Duration.ofMinutes(1), "init", project.toString());
    assertThat(init.exitCode()).as(init.toString()).isZero();

    publishTheDsl();
    int built = maven(project, "package");
    assertThat(built).as("mvn package of the generated project").isZero();
    try (Stream<Path> jars = Files.list(project.resolve("target"))) {
      return jars.filter(p -> p.toString().endsWith(".jar")).findFirst().orElseThrow();
    }
  }

  /**
   * Sends generated page_clicks events, out of order and mixed with malformed lines, with {@code
   * freshet produce}; then waits until the gateway serves the oracle's values for every page.
   */
  private void produceAndCheck(Map<String, String> env, Path jar, int gatewayPort)
      throws Exception {
    // Events of the last 9 minutes, then one event 31 s past the next minute boundary for each
    // of several other pages, so that every partition's watermark passes that boundary E: the
    // window ending at E closes, later ones stay open.
    long now = Instant.now().toEpochMilli();
    List<Click> clicks = clicks(new Random(20261203L), now - 9 * MINUTE, now - MINUTE);
    long newest = clicks.stream().mapToLong(Click::ts).max().orElseThrow();
    long windowEnd = (newest / MINUTE + 1) * MINUTE;
    List<String> lines = new ArrayList<>();
    List<String> bad =
        List.of(
            "{not json",
            "{\"user_id\":\"u1\",\"action\":\"view\",\"ts\":" + now + "}",
            "{\"page_id\":\"home\",\"user_id\":\"u1\",\"action\":\"view\"}",
            "{\"page_id\":\"home\",\"user_id\":\"u1\",\"action\":\"view\",\"ts\":\"yesterday\"}");
    Set<Integer> badLines = new HashSet<>();
    Random shuffle = new Random(7);
    for (Click c : jitter(clicks, shuffle)) {
      if (badLines.size() < bad.size() && shuffle.nextInt(40) == 0) {
        lines.add(bad.get(badLines.size()));
        badLines.add(lines.size());
      }
      lines.add(c.json());
    }
    assertThat(badLines).hasSize(bad.size());
    for (int i = 0; i < 16; i++) {
      lines.add(new Click("flush-" + i, "u0", "view", windowEnd + 31_000 + i).json());
    }
    Path events = dir.resolve("events.jsonl");
    Files.write(events, lines);

    Cli.Result produce =
        Wrapper.run(
            env,
            Duration.ofMinutes(2),
            "produce",
            "--view",
            "page_clicks",
            "--definitions",
            jar.toString(),
            "--input",
            events.toString());
    assertThat(produce.exitCode()).as(produce.toString()).isEqualTo(3);
    for (int line : badLines) {
      assertThat(produce.err()).as(produce.toString()).contains("line " + line + ":");
    }
    assertThat(produce.out() + produce.err())
        .contains("sent " + (lines.size() - badLines.size()))
        .contains("rejected " + badLines.size());

    Map<String, Map<String, Double>> expected = oracle(clicks, windowEnd);
    HttpClient http = HttpClient.newHttpClient();
    for (String page : PAGES) {
      assertThat(expected.get(page).get("views_10m")).as(page).isGreaterThan(10.0);
      assertThat(expected.get(page).get("clicks_10m")).as(page).isPositive();
      URI uri = URI.create("http://localhost:" + gatewayPort + "/features/page_clicks/" + page);
      JsonNode served = awaitValues(http, uri, expected.get(page), Duration.ofMinutes(3));
      assertThat(served.path("status").asText()).isEqualTo("PRESENT");
      assertThat(Instant.parse(served.path("feature_ts").asText()).toEpochMilli())
          .isLessThanOrEqualTo(windowEnd);
    }
  }

  /** Random clicks on {@link #PAGES} between {@code from} and {@code to}, in time order. */
  private static List<Click> clicks(Random random, long from, long to) {
    List<Click> out = new ArrayList<>();
    for (long t = from; t <= to; t += 1 + random.nextInt(4_000)) {
      out.add(
          new Click(
              PAGES.get(random.nextInt(PAGES.size())),
              "u" + random.nextInt(12),
              random.nextInt(3) == 0 ? "click" : random.nextInt(5) == 0 ? "scroll" : "view",
              t));
    }
    return out;
  }

  /** The clicks out of order by up to 20 s (the view allows 30 s), so none is late. */
  private static List<Click> jitter(List<Click> clicks, Random random) {
    TreeMap<Long, List<Click>> bySendTime = new TreeMap<>();
    for (Click c : clicks) {
      bySendTime.computeIfAbsent(c.ts() + random.nextInt(20_000), k -> new ArrayList<>()).add(c);
    }
    return bySendTime.values().stream().flatMap(List::stream).toList();
  }

  /** Per page, the features of the window [end - 10 min, end), computed by brute force. */
  private static Map<String, Map<String, Double>> oracle(List<Click> clicks, long end) {
    Map<String, Map<String, Double>> out = new LinkedHashMap<>();
    for (String page : PAGES) {
      long views = 0;
      long clicksIn = 0;
      Set<String> visitors = new HashSet<>();
      for (Click c : clicks) {
        if (!c.page().equals(page) || c.ts() < end - 10 * MINUTE || c.ts() >= end) {
          continue;
        }
        views += c.action().equals("view") ? 1 : 0;
        clicksIn += c.action().equals("click") ? 1 : 0;
        visitors.add(c.user());
      }
      Map<String, Double> f = new LinkedHashMap<>();
      f.put("views_10m", (double) views);
      f.put("clicks_10m", (double) clicksIn);
      f.put("visitors_10m", (double) visitors.size());
      f.put("click_through_rate_10m", views == 0 ? 0.0 : (double) clicksIn / views);
      out.put(page, f);
    }
    return out;
  }

  private static JsonNode awaitValues(
      HttpClient http, URI uri, Map<String, Double> expected, Duration limit)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    String last = "(nothing yet)";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      last = r.statusCode() + " " + r.body();
      if (r.statusCode() == 200) {
        JsonNode body = JSON.readTree(r.body());
        if (matches(body.path("features"), expected)) {
          return body;
        }
      }
      Thread.sleep(500);
    }
    throw new AssertionError(
        "GET " + uri + " did not serve " + expected + " within " + limit + "; last: " + last);
  }

  private static boolean matches(JsonNode features, Map<String, Double> expected) {
    for (Map.Entry<String, Double> e : expected.entrySet()) {
      JsonNode v = features.path(e.getKey());
      if (!v.isNumber() || Math.abs(v.asDouble() - e.getValue()) > 1e-9) {
        return false;
      }
    }
    return true;
  }

  /** Puts this checkout's DSL into the local Maven repository, the step the template names. */
  private static void publishTheDsl() throws IOException, InterruptedException {
    Path root = Wrapper.script().getParent().getParent().getParent();
    int code = maven(root, "-N", "install", "-DskipTests", "-Dspotless.check.skip=true");
    assertThat(code).as("mvn -N install of the parent pom").isZero();
    code =
        maven(root, "-pl", "feature-dsl", "install", "-DskipTests", "-Dspotless.check.skip=true");
    assertThat(code).as("mvn install of feature-dsl").isZero();
  }

  private static int maven(Path where, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("mvn", "-B", "-q", "-o"));
    command.addAll(List.of(args));
    Path log = Files.createTempFile("mvn", ".log");
    Process p =
        new ProcessBuilder(command)
            .directory(where.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("mvn " + String.join(" ", args) + " in " + where + " timed out");
    }
    if (p.exitValue() != 0) {
      System.err.println(Files.readString(log));
    }
    Files.deleteIfExists(log);
    return p.exitValue();
  }
}
