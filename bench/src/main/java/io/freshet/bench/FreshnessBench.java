package io.freshet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.freshet.bench.EventGen.Activity;
import io.freshet.dsl.FeatureView;
import io.freshet.examples.UserActivity;
import io.freshet.flink.compile.FeatureJobCompiler;
import io.freshet.flink.compile.JobSettings;
import io.freshet.gateway.GatewayConfig;
import io.freshet.gateway.GatewayServer;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Freshness (issue item 2): the time from the event that moves the watermark past a window's end to
 * the moment that window's row is readable through the gateway.
 *
 * <p>The compiled feature job runs unbounded (as {@code freshet submit} runs it) with exactly-once
 * sinks and the given checkpoint interval; the gateway runs in the same JVM over the same Redis. A
 * producer sends background events at a steady wall-clock rate, alternating between the two
 * partitions, every event stamped with an event-time clock that runs faster than the wall clock, so
 * events are in order per partition and many windows close during a run.
 *
 * <p>Freshet's watermark is Flink's bounded out-of-orderness watermark, {@code max(ts) - B - 1} per
 * partition, emitted periodically (every 200 ms by default), with the minimum taken over both
 * partitions; the window ending at {@code W} fires when the watermark reaches {@code W - 1}, that
 * is once every partition has carried an event with {@code ts >= W + B}. For each {@code W} the
 * benchmark records when Kafka acknowledged the first such event on each partition and takes the
 * later one. Each window end has a probe entity of its own with one event in the window's last
 * slice, so its row at {@code feature_ts = W} is new; a separate thread polls {@code GET
 * /features/{view}/probe_W} until it answers with that feature_ts.
 */
final class FreshnessBench {
  /**
   * One run's parameters.
   *
   * @param view {@code user_activity_live} (1h/1min, 10 s out of order) or {@code user_activity}
   * @param seconds wall seconds of producing
   * @param rate background events per wall second
   * @param users background entities
   * @param checkpointMillis checkpoint interval
   * @param wallMillisPerEventMinute wall time per minute of event time
   * @param pollMillis pause between two sweeps of the poller over its pending probes
   * @param warmupSeconds windows closed in the first seconds are not counted
   */
  record Params(
      String view,
      int seconds,
      int rate,
      int users,
      long checkpointMillis,
      double wallMillisPerEventMinute,
      long pollMillis,
      int warmupSeconds) {}

  /** One window end: its probe and the instants measured for it (System.nanoTime). */
  static final class Win {
    final long end;
    final String entity;
    volatile long probeAcked;
    final long[] crossAcked = new long[E2eStores.PARTITIONS];
    volatile long readable;
    volatile boolean timedOut;

    Win(long end) {
      this.end = end;
      this.entity = "probe_" + end;
    }

    synchronized long watermarkMoved() {
      long m = 0;
      for (long a : crossAcked) {
        if (a == 0) {
          return 0;
        }
        m = Math.max(m, a);
      }
      return m;
    }

    synchronized void crossed(int partition, long nanos) {
      crossAcked[partition] = nanos;
    }
  }

  private FreshnessBench() {}

  static FeatureView definition(String view) {
    return switch (view) {
      // the window-end variant of the live view (the demo's live view is served at request time)
      case "user_activity_live" ->
          UserActivity.view("user_activity_live", Duration.ofMinutes(1), Duration.ofSeconds(10));
      case "user_activity" -> UserActivity.view();
      default -> throw new IllegalArgumentException("unknown freshness view " + view);
    };
  }

  static ViewPlan plan(String view) {
    return ViewPlan.of(definition(view));
  }

  static long slideMillis(String view) {
    return view.equals("user_activity") ? 15 * 60_000L : 60_000L;
  }

  static Map<String, Object> run(Params p) throws Exception {
    ViewPlan plan = plan(p.view());
    long slide = slideMillis(p.view());
    long bound = plan.source().maxOutOfOrderness().toMillis();
    String topic = plan.source().topic();
    String pgUrl = E2eStores.freshPostgres();
    E2eStores.flushRedis();
    E2eStores.freshTopic(topic);
    Path checkpoints = E2eStores.tempDir("freshet-bench-fresh-chk");
    int restPort = E2eStores.freePort();
    StreamExecutionEnvironment env = E2eStores.flink(checkpoints, p.checkpointMillis(), restPort);
    JobSettings settings =
        new JobSettings(
            KafkaBroker.bootstrapServers(),
            "freshet-bench-freshness-" + System.nanoTime(),
            JobSettings.StartingOffsets.EARLIEST,
            pgUrl,
            E2eStores.REDIS_URL,
            p.checkpointMillis(),
            5000);
    FeatureJobCompiler.compile(env, List.of(plan), settings);
    JobClient job = env.executeAsync("freshet freshness bench");
    List<Win> windows = new ArrayList<>();
    Poller poller = null;
    Map<String, Object> stats = Map.of();
    long epochAt = 0;
    long nanosAt = 0;
    try (GatewayServer gateway =
        GatewayServer.start(
            new GatewayConfig(0, E2eStores.REDIS_URL, Catalog.of(List.of(definition(p.view())))))) {
      awaitRunning(job, Duration.ofSeconds(60));
      Thread.sleep(1000);
      poller = new Poller(gateway.port(), plan.name(), p.pollMillis());
      poller.start();
      epochAt = System.currentTimeMillis();
      nanosAt = System.nanoTime();
      produce(p, slide, bound, topic, windows, poller);
      poller.drain(Duration.ofSeconds(32));
      stats = E2eStores.checkpointStats(restPort, job.getJobID());
    } finally {
      if (poller != null) {
        poller.stopNow();
      }
      try {
        job.cancel().get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("freshness: cancelling the job failed: " + e);
      }
      Machine.deleteTree(checkpoints);
    }
    Map<String, Object> res =
        summarize(p, plan, slide, bound, windows, poller, pgUrl, epochAt, nanosAt);
    res.put("checkpoints", stats);
    return res;
  }

  static void awaitRunning(JobClient job, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (job.getJobStatus().get(10, TimeUnit.SECONDS) != JobStatus.RUNNING) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the feature job is not running after " + timeout);
      }
      Thread.sleep(100);
    }
  }

  /** Sends background events and probes for {@code p.seconds()}; fills {@code windows}. */
  static void produce(
      Params p, long slide, long bound, String topic, List<Win> windows, Poller poller)
      throws Exception {
    double speed = 60_000.0 / p.wallMillisPerEventMinute();
    long t0 = Math.floorDiv(System.currentTimeMillis(), slide) * slide - 30 * 60_000L;
    EventGen gen = new EventGen(42, p.users());
    AtomicReference<Exception> failed = new AtomicReference<>();
    // per partition, the index in windows of the next window end not yet passed on it
    int[] nextCross = new int[E2eStores.PARTITIONS];
    long nextProbeEnd = t0 + slide;
    int probes = 0;
    long start = System.nanoTime();
    long stop = start + p.seconds() * 1_000_000_000L;
    double gapNanos = 1e9 / p.rate();
    try (KafkaProducer<String, String> producer = E2eStores.producer(0)) {
      for (long i = 0; ; i++) {
        long due = start + (long) (i * gapNanos);
        long now = System.nanoTime();
        if (due > now) {
          LockSupport.parkNanos(due - now);
          now = System.nanoTime();
        }
        if (now >= stop) {
          break;
        }
        long ts = t0 + (long) ((now - start) / 1e6 * speed);
        if (ts >= nextProbeEnd - slide / 2) {
          Win w = new Win(nextProbeEnd);
          nextProbeEnd += slide;
          if (ts < w.end) {
            windows.add(w);
            Activity a = new Activity();
            a.userId = w.entity;
            a.eventType = "view";
            a.sessionId = w.entity;
            a.platform = "web";
            a.ts = ts;
            int part = probes++ % E2eStores.PARTITIONS;
            send(producer, topic, part, a, windows, nextCross, bound, failed, w, poller);
          }
        }
        Activity a = gen.event(i);
        a.ts = ts;
        a.sessionId = a.userId + "-" + (ts / 1_800_000L);
        send(
            producer,
            topic,
            (int) (i % E2eStores.PARTITIONS),
            a,
            windows,
            nextCross,
            bound,
            failed,
            null,
            poller);
      }
      producer.flush();
    }
    if (failed.get() != null) {
      throw new IllegalStateException("producing failed", failed.get());
    }
  }

  static void send(
      KafkaProducer<String, String> producer,
      String topic,
      int partition,
      Activity a,
      List<Win> windows,
      int[] nextCross,
      long bound,
      AtomicReference<Exception> failed,
      Win probe,
      Poller poller) {
    List<Win> crossed = null;
    while (nextCross[partition] < windows.size()
        && a.ts >= windows.get(nextCross[partition]).end + bound) {
      if (crossed == null) {
        crossed = new ArrayList<>(1);
      }
      crossed.add(windows.get(nextCross[partition]++));
    }
    List<Win> marks = crossed;
    producer.send(
        new ProducerRecord<>(topic, partition, a.userId, a.toJson()),
        (md, e) -> {
          long at = System.nanoTime();
          if (e != null) {
            failed.compareAndSet(null, e);
            return;
          }
          if (probe != null) {
            probe.probeAcked = at;
          }
          if (marks != null) {
            for (Win w : marks) {
              w.crossed(partition, at);
              if (w.watermarkMoved() != 0) {
                poller.watch(w);
              }
            }
          }
        });
  }

  /** Polls the gateway for every watched probe until its row at feature_ts W is there. */
  static final class Poller extends Thread {
    private final HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    private final ObjectMapper json = new ObjectMapper();
    private final String base;
    private final long pollMillis;
    private final ConcurrentLinkedQueue<Win> incoming = new ConcurrentLinkedQueue<>();
    private final List<Win> pending = new ArrayList<>();
    private volatile boolean stopped;
    volatile long requests;
    volatile long errors;
    volatile int timedOut;
    private volatile long pendingCount;

    Poller(int port, String view, long pollMillis) {
      super("freshness-poller");
      setDaemon(true);
      this.base = "http://127.0.0.1:" + port + "/features/" + view + "/";
      this.pollMillis = pollMillis;
    }

    void watch(Win w) {
      incoming.add(w);
    }

    @Override
    public void run() {
      while (!stopped) {
        for (Win w; (w = incoming.poll()) != null; ) {
          pending.add(w);
        }
        pending.removeIf(this::readable);
        pendingCount = pending.size() + incoming.size();
        LockSupport.parkNanos(pollMillis * 1_000_000L);
      }
    }

    private boolean readable(Win w) {
      long moved = w.watermarkMoved();
      if (System.nanoTime() - moved > 30_000_000_000L) {
        timedOut++;
        w.timedOut = true;
        return true;
      }
      try {
        requests++;
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(base + w.entity))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        long at = System.nanoTime();
        if (r.statusCode() != 200) {
          return false;
        }
        JsonNode body = json.readTree(r.body());
        if (Instant.parse(body.get("feature_ts").asText()).toEpochMilli() == w.end) {
          w.readable = at;
          return true;
        }
        return false;
      } catch (Exception e) {
        errors++;
        return false;
      }
    }

    /** Waits until nothing is pending, or the timeout. */
    void drain(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      Thread.sleep(pollMillis * 3 + 50);
      while (pendingCount > 0 || !incoming.isEmpty()) {
        if (System.nanoTime() > deadline) {
          return;
        }
        Thread.sleep(20);
      }
    }

    void stopNow() throws InterruptedException {
      stopped = true;
      join(5000);
    }
  }

  static Map<String, Object> summarize(
      Params p,
      ViewPlan plan,
      long slide,
      long bound,
      List<Win> windows,
      Poller poller,
      String pgUrl,
      long epochAt,
      long nanosAt)
      throws Exception {
    Map<String, Long> committedAt = new HashMap<>();
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT entity_key, (extract(epoch FROM committed_at) * 1000)::bigint FROM "
                    + OfflineTable.of(plan).qualifiedName()
                    + " WHERE entity_key LIKE 'probe\\_%' AND superseded_at IS NULL")) {
      while (rs.next()) {
        committedAt.putIfAbsent(rs.getString(1), rs.getLong(2));
      }
    }
    long warmupEnd = nanosAt + p.warmupSeconds() * 1_000_000_000L;
    List<Double> fresh = new ArrayList<>();
    List<Double> toOffline = new ArrayList<>();
    int closed = 0;
    int unread = 0;
    int pendingAtEnd = 0;
    for (Win w : windows) {
      long moved = w.watermarkMoved();
      if (moved == 0 || moved < warmupEnd) {
        continue;
      }
      closed++;
      if (w.readable == 0) {
        if (w.timedOut) {
          unread++;
        } else {
          pendingAtEnd++;
        }
        continue;
      }
      fresh.add((w.readable - moved) / 1e6);
      Long pg = committedAt.get(w.entity);
      if (pg != null) {
        double movedEpoch = epochAt + (moved - nanosAt) / 1e6;
        toOffline.add(pg - movedEpoch);
      }
    }
    Map<String, Object> res = new LinkedHashMap<>();
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("view", plan.name());
    params.put("slideMillis", slide);
    params.put("outOfOrdernessMillis", bound);
    params.put("checkpointIntervalMillis", p.checkpointMillis());
    params.put("producerSeconds", p.seconds());
    params.put("backgroundEventsPerSecond", p.rate());
    params.put("users", p.users());
    params.put("wallMillisPerEventMinute", p.wallMillisPerEventMinute());
    params.put("pollMillis", p.pollMillis());
    params.put("warmupSeconds", p.warmupSeconds());
    params.put("sinks", "exactly-once Postgres offline table + Redis online table");
    params.put("stateBackend", "rocksdb, incremental checkpoints");
    params.put("watermarkInterval", "Flink default (200 ms)");
    res.put("parameters", params);
    res.put("windowsClosed", closed);
    res.put("windowsRead", fresh.size());
    res.put("windowsNotReadableWithin30s", unread);
    res.put("windowsStillPendingAtEnd", pendingAtEnd);
    res.put("freshnessMillis", percentiles(fresh));
    res.put("watermarkToOfflineCommitMillis", percentiles(toOffline));
    res.put("gatewayRequests", poller.requests);
    res.put("gatewayErrors", poller.errors);
    res.put(
        "checkpointsCommitted",
        E2eStores.count(
            pgUrl,
            "SELECT count(DISTINCT checkpoint_id) FROM freshet.sink_commits WHERE target = '"
                + OfflineTable.of(plan).tableName()
                + "'"));
    res.put("load1", Machine.load1());
    return res;
  }

  static Map<String, Object> percentiles(List<Double> xs) {
    Map<String, Object> m = new LinkedHashMap<>();
    double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    m.put("count", a.length);
    if (a.length == 0) {
      return m;
    }
    m.put("p50", rank(a, 0.50));
    m.put("p90", rank(a, 0.90));
    m.put("p99", rank(a, 0.99));
    m.put("max", a[a.length - 1]);
    m.put("min", a[0]);
    return m;
  }

  /** Nearest-rank percentile. */
  static double rank(double[] sorted, double q) {
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
