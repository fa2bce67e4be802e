package io.freshet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every benchmark once at a tiny size so the harness cannot rot. Checks only that each
 * produces its figures and that the report files are written; it asserts nothing about speed.
 */
@Timeout(value = 300)
class BenchSmokeTest {
  /** A Redis database the benchmarks may flush; never the default one. */
  static final String REDIS =
      System.getenv().getOrDefault("FRESHET_BENCH_REDIS_URL", "redis://127.0.0.1:6379/9");

  @Test
  void every_pipeline_variant_runs_and_reports_a_rate(@TempDir Path out) throws Exception {
    Report report = new Report(out);
    report.put("command", "smoke");
    for (PipelineBench.Variant v : PipelineBench.Variant.values()) {
      var run =
          PipelineBench.run(
              new PipelineBench.Params(
                  v, Duration.ofMinutes(1), 1_000, 100, 2, 42, Duration.ofSeconds(1)));
      assertEquals(1_000, run.events());
      assertTrue(run.eventsPerSecond() > 0, v + " reported no rate");
    }
    report.write();
    assertTrue(Files.exists(out.resolve("results.json")));
  }

  @Test
  void generator_is_deterministic_and_interleaves_subtasks() {
    EventGen a = new EventGen(42, 100);
    EventGen b = new EventGen(42, 100);
    assertEquals(a.json(12_345), b.json(12_345));
    assertEquals(0, EventGen.interleave(0, 10, 2));
    assertEquals(1, EventGen.interleave(5, 10, 2));
    assertEquals(2, EventGen.interleave(1, 10, 2));
  }

  @Test
  void feast_field_names_are_murmur3_of_view_and_feature() {
    // Reference values of MurmurHash3_x86_32, seed 0.
    assertEquals(0, FeastLayout.murmur3(new byte[0]));
    assertEquals(0x248bfa47, FeastLayout.murmur3("hello".getBytes()));
  }

  @Test
  void state_benchmark_reads_a_completed_checkpoint() throws Exception {
    Map<String, Object> m = StateBench.run(200);
    assertTrue(((Number) m.get("checkpointBytes")).longValue() > 0);
  }

  @Test
  void online_memory_benchmark_runs_against_redis() throws Exception {
    Assumptions.assumeTrue(reachable(REDIS), "no Redis at " + REDIS);
    Map<String, Object> mem = OnlineMemoryBench.run(REDIS, 200);
    assertTrue(((Number) mem.get("ratioFreshetOverFeast")).doubleValue() > 0);
  }

  /** Tiny sizes; every wait in the benchmark is bounded, so this cannot hang. */
  @Test
  @Timeout(value = 60)
  void gateway_benchmark_accounts_for_every_request(@TempDir Path out) throws Exception {
    Assumptions.assumeTrue(reachable(REDIS), "no Redis at " + REDIS);
    GatewayBench.Settings tiny =
        new GatewayBench.Settings(
            0.2,
            0.5,
            0.1,
            0.3,
            2_000,
            new int[] {200},
            new int[] {200},
            new int[] {50},
            new int[] {100},
            new int[] {200},
            200,
            400);
    Map<String, Object> gw = GatewayBench.run(REDIS, 200, tiny);
    Map<String, Object> cases = Report.m(gw.get("fixedRate"));
    assertEquals(7, cases.size(), cases.keySet().toString());
    for (var c : cases.entrySet()) {
      for (Object r : Report.m(c.getValue()).values()) {
        Map<String, Object> run = Report.m(r);
        long sent = ((Number) run.get("measuredSent")).longValue();
        assertTrue(sent > 0, c.getKey() + " sent nothing");
        assertEquals(0L, ((Number) run.get("unaccounted")).longValue(), c.getKey() + ": " + run);
        assertEquals(sent, ((Number) run.get("measuredRequests")).longValue(), c.getKey());
        assertEquals(
            sent,
            ((Number) run.get("ok")).longValue()
                + ((Number) run.get("errors")).longValue()
                + ((Number) run.get("timeouts")).longValue(),
            c.getKey());
      }
    }
    assertEquals(2, Report.m(gw.get("maxRate")).size());
    Report report = new Report(out);
    report.put("gateway", gw);
    report.write();
    assertTrue(Files.readString(out.resolve("results.md")).contains("max rate with p99 < 5 ms"));
  }

  @Test
  void training_set_sides_agree_on_every_label() throws Exception {
    TrainingBench.Params p =
        new TrainingBench.Params(
            System.getenv()
                .getOrDefault(
                    "FRESHET_BENCH_PG_URL",
                    "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres"),
            "freshet_bench_training_smoke",
            2_000,
            50,
            500,
            2,
            7,
            28,
            null,
            false);
    Map<String, Object> t = TrainingBench.run(p);
    assertEquals(true, ((Map<?, ?>) t.get("agreement")).get("identical"));
    long withFeatures =
        ((Number) ((Map<?, ?>) t.get("agreement")).get("labelRowsWithFeatures")).longValue();
    assertTrue(withFeatures > 0 && withFeatures < 500, "some labels find rows, some do not");
    assertTrue(((Number) t.get("ratioFreshetOverFeast")).doubleValue() > 0);
  }

  @Test
  @Timeout(value = 120)
  void end_to_end_benchmark_runs_through_kafka_postgres_and_redis() throws Exception {
    assumeStores();
    Map<String, Object> e2e =
        EndToEndBench.run(new EndToEndBench.Params(20_000, 1_000, 1, 1_000, 200, true));
    Map<?, ?> run = (Map<?, ?>) ((java.util.List<?>) e2e.get("runs")).get(0);
    assertTrue(((Number) run.get("eventsPerSecond")).doubleValue() > 0);
    assertTrue(((Number) run.get("offlineRows")).longValue() > 1_000, run.toString());
    assertEquals(run.get("offlineEntities"), run.get("onlineKeys"));
    assertTrue(((Number) run.get("checkpointsCommitted")).longValue() >= 1, run.toString());
    // The physical baseline read the same events and wrote the same totals (it counts the rows in
    // its table and the keys in Redis itself, and fails on a difference).
    Map<?, ?> baseline = (Map<?, ?>) e2e.get("physicalBaseline");
    assertEquals(20_000L, ((Number) baseline.get("events")).longValue(), baseline.toString());
    assertEquals(0L, ((Number) baseline.get("rejected")).longValue(), baseline.toString());
    assertEquals(
        ((Number) run.get("offlineRows")).longValue(),
        ((Number) baseline.get("offlineRows")).longValue());
    assertEquals(
        ((Number) run.get("onlineKeys")).longValue(),
        ((Number) baseline.get("onlineKeys")).longValue());
    assertTrue(((Number) baseline.get("eventsPerSecond")).doubleValue() > 0);
    assertTrue(((Number) e2e.get("freshetToBaseline")).doubleValue() > 0);
  }

  @Test
  @Timeout(value = 120)
  void freshness_benchmark_reads_each_closed_window_through_the_gateway() throws Exception {
    assumeStores();
    Map<String, Object> f =
        FreshnessBench.run(
            new FreshnessBench.Params("user_activity_live", 8, 500, 1_000, 1_000, 500, 10, 2));
    int closed = ((Number) f.get("windowsClosed")).intValue();
    assertTrue(closed >= 8, f.toString());
    assertEquals(closed, ((Number) f.get("windowsRead")).intValue(), f.toString());
    Report report = new Report(Files.createTempDirectory("freshet-bench-smoke"));
    report.put("freshness", f);
    report.write();
  }

  @Test
  @Timeout(value = 120)
  void event_to_readable_benchmark_reads_every_probe_once_through_the_gateway() throws Exception {
    assumeStores();
    Map<String, Object> r =
        EventToReadableBench.run(
            new EventToReadableBench.Params("live", 8, 300, 50, 2, 500, 10, 60, 8));
    int probes = ((Number) r.get("probes")).intValue();
    assertTrue(probes >= 10, r.toString());
    assertEquals(probes, ((Number) r.get("probesRead")).intValue(), r.toString());
    assertEquals(0, ((Number) r.get("probesCountedTwice")).intValue(), r.toString());
    assertEquals(0, ((Number) r.get("probesCountedTwiceOnRecheck")).intValue(), r.toString());
    Map<?, ?> offline = (Map<?, ?>) r.get("offline");
    assertEquals(
        0L, ((Number) offline.get("probesWithTileVersionAbove1")).longValue(), r.toString());
    Report report = new Report(Files.createTempDirectory("freshet-bench-smoke"));
    report.put("eventToReadable", Map.of("live", r));
    report.write();
  }

  static void assumeStores() {
    Assumptions.assumeTrue(reachable(E2eStores.REDIS_URL), "no Redis at " + E2eStores.REDIS_URL);
    Assumptions.assumeTrue(reachable("redis://127.0.0.1:5432"), "no Postgres at 127.0.0.1:5432");
  }

  static boolean reachable(String uri) {
    var u = io.lettuce.core.RedisURI.create(uri);
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 500);
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
