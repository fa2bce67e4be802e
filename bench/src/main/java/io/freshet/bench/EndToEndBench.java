package io.freshet.bench;

import io.freshet.bench.EventGen.Activity;
import io.freshet.examples.UserActivity;
import io.freshet.flink.compile.FeatureJobCompiler;
import io.freshet.flink.compile.JobSettings;
import io.freshet.offline.OfflineTable;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Freshet end to end (issue item 1 d): generated events pre-produced to an in-process Kafka broker,
 * then the compiled feature job of {@code user_activity} (the path {@code freshet submit} runs,
 * with the Kafka source bounded at the partitions' end offsets so the job finishes) on a Flink
 * MiniCluster with RocksDB state, incremental checkpoints and the exactly-once Postgres and Redis
 * sinks. The rate is events / the job's net runtime, which ends after the final checkpoint has
 * committed both sinks.
 */
final class EndToEndBench {
  /** One run's parameters. */
  record Params(
      long events, int users, int reps, long checkpointMillis, long stepMillis, boolean baseline) {}

  private EndToEndBench() {}

  static Map<String, Object> run(Params p) throws Exception {
    ViewPlan plan = ViewPlan.of(UserActivity.view());
    Map<String, Object> res = new LinkedHashMap<>();
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("view", plan.name() + " (1h/15min, 10 min out of order)");
    params.put("events", p.events());
    params.put("users", p.users());
    params.put("repetitions", p.reps());
    params.put("parallelism", E2eStores.PARTITIONS);
    params.put("partitions", E2eStores.PARTITIONS);
    params.put("eventTimeStepMillis", p.stepMillis());
    params.put(
        "stateBackend",
        "rocksdb, incremental checkpoints every " + p.checkpointMillis() + " ms, exactly once");
    params.put("source", "Kafka (in-process KRaft broker), bounded at the end offsets");
    params.put("sinks", "exactly-once Postgres offline table + Redis online table");
    res.put("parameters", params);

    // Event time starts an hour before now, so every row is within the view's 2 h TTL when the
    // online sink commits it (rows already expired are skipped there, which would flatter it).
    long base = Math.floorDiv(System.currentTimeMillis() - 3_600_000L, 900_000L) * 900_000L;
    EventGen gen = new EventGen(42, p.users(), p.stepMillis(), 120_000, base);
    String topic = plan.source().topic();
    E2eStores.freshTopic(topic);
    long t0 = System.nanoTime();
    produce(gen, topic, p.events());
    double produceSeconds = (System.nanoTime() - t0) / 1e9;
    res.put("produceSeconds", produceSeconds);
    System.out.printf(
        "e2e: produced %d events in %.1f s (%.0f/s)%n",
        p.events(), produceSeconds, p.events() / produceSeconds);

    List<Double> rates = new ArrayList<>();
    List<Object> runs = new ArrayList<>();
    for (int r = 0; r < p.reps(); r++) {
      Map<String, Object> run = once(plan, p, r);
      rates.add((Double) run.get("eventsPerSecond"));
      runs.add(run);
      System.out.printf(
          "e2e rep %d: %.0f events/s (%.0f per process CPU second; %d ms net, %s offline rows, %s online keys, %s checkpoints"
              + " with rows, sample check %s, load %.2f)%n  checkpoints %s%n  commits %s%n",
          r,
          run.get("eventsPerSecond"),
          run.get("eventsPerProcessCpuSecond"),
          run.get("netRuntimeMillis"),
          run.get("offlineRows"),
          run.get("onlineKeys"),
          run.get("checkpointsCommitted"),
          run.get("sampleCheck"),
          run.get("load1"),
          run.get("checkpointStatsBeforeEnd"),
          run.get("offlineCommits"));
    }
    res.put("eventsPerSecond", Stats.summary(rates));
    res.put("runs", runs);
    if (p.baseline() && !runs.isEmpty()) {
      // The same topic, a fresh consumer group, the last repetition's totals written again.
      @SuppressWarnings("unchecked")
      Map<String, Object> last = (Map<String, Object>) runs.get(runs.size() - 1);
      PhysicalBaseline.Target target =
          new PhysicalBaseline.Target(
              ((Number) last.get("offlineRows")).longValue(),
              ((Number) last.get("onlineKeys")).longValue(),
              ((Number) last.get("checkpointsCommitted")).longValue());
      Map<String, Object> baseline =
          PhysicalBaseline.run(plan, topic, target, "freshet-bench-baseline-" + System.nanoTime());
      res.put("physicalBaseline", baseline);
      double freshet = (Double) ((Map<?, ?>) res.get("eventsPerSecond")).get("median");
      double physical = (Double) baseline.get("eventsPerSecond");
      res.put("freshetToBaseline", freshet / physical);
      System.out.printf(
          "e2e physical baseline: %.0f events/s (%.0f per process CPU second; %d ms, %d offline"
              + " rows in %d transactions, %d online keys, %d rejected, load %.2f)%n"
              + "end to end: Freshet %.0f ev/s, physical baseline %.0f ev/s, ratio %.2f%n",
          physical,
          baseline.get("eventsPerProcessCpuSecond"),
          baseline.get("wallMillis"),
          baseline.get("offlineRows"),
          baseline.get("transactions"),
          baseline.get("onlineKeys"),
          baseline.get("rejected"),
          baseline.get("load1"),
          freshet,
          physical,
          freshet / physical);
    }
    return res;
  }

  static void produce(EventGen gen, String topic, long events) throws Exception {
    AtomicReference<Exception> failed = new AtomicReference<>();
    try (KafkaProducer<String, String> producer = E2eStores.producer(20)) {
      for (long i = 0; i < events; i++) {
        Activity a = gen.event(i);
        producer.send(
            new ProducerRecord<>(topic, a.userId, a.toJson()),
            (md, e) -> {
              if (e != null) {
                failed.compareAndSet(null, e);
              }
            });
      }
      producer.flush();
    }
    if (failed.get() != null) {
      throw new IllegalStateException("producing the events failed", failed.get());
    }
  }

  static Map<String, Object> once(ViewPlan plan, Params p, int rep) throws Exception {
    String pgUrl = E2eStores.freshPostgres();
    E2eStores.flushRedis();
    Path checkpoints = E2eStores.tempDir("freshet-bench-e2e-chk");
    try {
      int restPort = E2eStores.freePort();
      StreamExecutionEnvironment env = E2eStores.flink(checkpoints, p.checkpointMillis(), restPort);
      JobSettings settings =
          new JobSettings(
              KafkaBroker.bootstrapServers(),
              "freshet-bench-e2e-" + rep + "-" + System.nanoTime(),
              JobSettings.StartingOffsets.EARLIEST,
              pgUrl,
              E2eStores.REDIS_URL,
              p.checkpointMillis(),
              5000);
      FeatureJobCompiler.compile(env, List.of(plan), settings, OffsetsInitializer.latest());
      long startEpoch = System.currentTimeMillis();
      long cpu0 = processCpuNanos();
      long t0 = System.nanoTime();
      JobClient job = env.executeAsync("freshet e2e bench rep " + rep);
      Map<String, Object> checkpointStats = Map.of();
      // Not job.getJobStatus(): the local executor shuts its MiniCluster down as soon as the job
      // has finished, and asking it then throws.
      var finished = job.getJobExecutionResult();
      while (!finished.isDone()) {
        Map<String, Object> s = E2eStores.checkpointStats(restPort, job.getJobID());
        if (!s.isEmpty()) {
          checkpointStats = s;
        }
        Thread.sleep(500);
      }
      JobExecutionResult result = finished.get(60, TimeUnit.SECONDS);
      long wall = (System.nanoTime() - t0) / 1_000_000;
      double cpuSeconds = (processCpuNanos() - cpu0) / 1e9;
      long net = result.getNetRuntime();
      Map<String, Object> run = new LinkedHashMap<>();
      run.put("events", p.events());
      run.put("netRuntimeMillis", net);
      run.put("wallMillis", wall);
      run.put("eventsPerSecond", p.events() * 1000.0 / net);
      // CPU of this JVM (Flink, the in-process broker, JIT and GC; not Postgres or Redis) while
      // the job ran: on a shared machine, events per CPU second says more than events per second.
      run.put("processCpuSeconds", cpuSeconds);
      run.put("eventsPerProcessCpuSecond", p.events() / cpuSeconds);
      String table = OfflineTable.of(plan).qualifiedName();
      run.put("offlineRows", E2eStores.count(pgUrl, "SELECT count(*) FROM " + table));
      run.put(
          "offlineEntities",
          E2eStores.count(pgUrl, "SELECT count(DISTINCT entity_key) FROM " + table));
      run.put(
          "checkpointsCommitted",
          E2eStores.count(
              pgUrl,
              "SELECT count(DISTINCT checkpoint_id) FROM freshet.sink_commits WHERE target = '"
                  + OfflineTable.of(plan).tableName()
                  + "'"));
      run.put("checkpointStatsBeforeEnd", checkpointStats);
      run.put("offlineCommits", commits(pgUrl, plan, startEpoch));
      run.put("onlineKeys", onlineKeys(plan));
      run.put("sampleCheck", sampleCheck(plan, pgUrl, p.users(), 500));
      run.put("load1", Machine.load1());
      if (!Objects.equals(run.get("offlineEntities"), run.get("onlineKeys"))) {
        throw new IllegalStateException(
            "the online table holds "
                + run.get("onlineKeys")
                + " entities, the offline table "
                + run.get("offlineEntities")
                + ": a sink lost rows");
      }
      return run;
    } finally {
      Machine.deleteTree(checkpoints);
    }
  }

  /**
   * The offline sink's commits by checkpoint: rows committed and when (ms after the job was
   * submitted); the end-of-input commit has checkpoint id {@code Long.MAX_VALUE}.
   */
  static List<Object> commits(String pgUrl, ViewPlan plan, long startEpoch) throws Exception {
    List<Object> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(pgUrl);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT checkpoint_id, sum(row_count),"
                    + " (extract(epoch FROM max(committed_at)) * 1000)::bigint"
                    + " FROM freshet.sink_commits WHERE target = ?"
                    + " GROUP BY checkpoint_id ORDER BY checkpoint_id")) {
      ps.setString(1, OfflineTable.of(plan).tableName());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Map<String, Object> m = new LinkedHashMap<>();
          long id = rs.getLong(1);
          m.put("checkpoint", id == Long.MAX_VALUE ? "end of input" : id);
          m.put("rows", rs.getLong(2));
          m.put("atMillis", rs.getLong(3) - startEpoch);
          out.add(m);
        }
      }
    }
    return out;
  }

  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Keys of the view in the online table (one per entity). */
  static long onlineKeys(ViewPlan plan) {
    RedisClient client = RedisClient.create(E2eStores.REDIS_URL);
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      RedisCommands<String, String> r = c.sync();
      long n = 0;
      ScanArgs args = ScanArgs.Builder.matches(OnlineKeys.scanPattern(plan)).limit(5000);
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        var page = r.scan(cursor, args);
        n += page.getKeys().size();
        cursor = page;
      } while (!cursor.isFinished());
      return n;
    } finally {
      client.shutdown();
    }
  }

  /**
   * For a sample of users, the latest current offline row must equal the online row (feature_ts and
   * every value). Returns "n/n equal"; throws on a mismatch.
   */
  static String sampleCheck(ViewPlan plan, String pgUrl, int users, int sample) throws Exception {
    OnlineCodec codec = new OnlineCodec(plan);
    OfflineTable table = OfflineTable.of(plan);
    RedisClient client = RedisClient.create(E2eStores.REDIS_URL);
    int checked = 0;
    try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
        Connection pg = DriverManager.getConnection(pgUrl);
        PreparedStatement ps =
            pg.prepareStatement(
                table.currentRowsQuery()
                    + " AND entity_key = ? ORDER BY feature_ts DESC LIMIT 1")) {
      int step = Math.max(1, users / sample);
      for (int u = 0; u < users; u += step) {
        String key = "user_" + u;
        ps.setString(1, key);
        try (ResultSet rs = ps.executeQuery()) {
          byte[] online = c.sync().get(OnlineKeys.keyBytes(plan, key));
          if (!rs.next()) {
            if (online != null) {
              throw new IllegalStateException(key + " is online but not offline");
            }
            continue;
          }
          if (online == null) {
            throw new IllegalStateException(key + " is offline but not online");
          }
          FeatureRow row = codec.decode(key, online);
          long offlineTs = rs.getTimestamp(2).getTime();
          if (row.featureTs() != offlineTs) {
            throw new IllegalStateException(
                key + ": online feature_ts " + row.featureTs() + ", offline " + offlineTs);
          }
          Object[] values = row.values();
          for (int i = 0; i < values.length; i++) {
            Object off = rs.getObject(3 + i);
            if (!same(values[i], off)) {
              throw new IllegalStateException(
                  key
                      + ": feature "
                      + table.featureColumns().get(i)
                      + " is "
                      + values[i]
                      + " online and "
                      + off
                      + " offline");
            }
          }
          checked++;
        }
      }
    } finally {
      client.shutdown();
    }
    return checked + " users equal";
  }

  static boolean same(Object online, Object offline) {
    if (online == null || offline == null) {
      return online == offline;
    }
    if (online instanceof Number a && offline instanceof Number b) {
      double x = a.doubleValue();
      double y = b.doubleValue();
      return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x));
    }
    if (online instanceof byte[] bytes) {
      return new String(bytes, StandardCharsets.UTF_8).equals(offline.toString());
    }
    return online.toString().equals(offline.toString());
  }
}
