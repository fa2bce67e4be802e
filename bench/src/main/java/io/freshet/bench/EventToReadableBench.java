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
import io.freshet.offline.TileTable;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
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
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Event to readable: how long after Kafka acknowledged an event the gateway answers with it
 * counted, in real time (event time = wall time), for a request-time view and for window-end views.
 *
 * <p>The compiled feature job runs unbounded with exactly-once sinks and the given checkpoint
 * interval, the gateway in the same JVM over the same Redis. A producer sends background events at
 * a steady rate for a set of users, stamped with the wall clock, and, a few times a second, a
 * probe: the only event of a new entity. A poller thread asks {@code GET /features/{view}/{probe}}
 * for every pending probe, sweep after sweep, until the answer counts the probe ({@code
 * event_count_1h} = 1); readable - acknowledged is the probe's latency. A probe answered with a
 * count above 1 (counted twice) is recorded; after the run every probe is asked once more and must
 * still answer 1, and the offline store must hold it once (one tile version of 1, or no row
 * counting it twice).
 *
 * <p>For a request-time view an event counts from the checkpoint after it arrived; for a window-end
 * view from the end of the first window holding it plus the out-of-orderness bound plus that
 * checkpoint, so its probes take about half a slide plus the bound.
 */
final class EventToReadableBench {
  /**
   * One run's parameters.
   *
   * @param mode {@code live} (request-time {@code user_activity_live}), {@code live-window-end}
   *     (its window-end variant, 1h/1min, 10 s) or {@code hourly} ({@code user_activity}, 1h/15min,
   *     10 min)
   * @param seconds wall seconds of producing
   * @param rate background events per second
   * @param users background entities
   * @param probesPerSecond probes (new entities, one event each) per second
   * @param checkpointMillis checkpoint interval
   * @param pollMillis pause between two sweeps of the poller
   * @param waitSeconds how long after the last event the poller keeps waiting for probes
   * @param probeSeconds probes are sent in the first seconds only (a window-end view needs events
   *     after a probe's window ends, plus its bound, to make the probe readable)
   */
  record Params(
      String mode,
      int seconds,
      int rate,
      int users,
      double probesPerSecond,
      long checkpointMillis,
      long pollMillis,
      int waitSeconds,
      int probeSeconds) {}

  /** One probe: its entity and the instants measured for it (System.nanoTime). */
  static final class Probe {
    final String entity;
    volatile long acked;
    volatile long readable;

    /** {@link #acked} and {@link #readable} on the wall clock, epoch microseconds. */
    volatile long ackedWallMicros;

    volatile long readableWallMicros;
    volatile long countedTwice;

    Probe(String entity) {
      this.entity = entity;
    }
  }

  private EventToReadableBench() {}

  static FeatureView definition(String mode) {
    return switch (mode) {
      case "live" -> UserActivity.liveView();
      case "live-window-end" ->
          UserActivity.view("user_activity_live", Duration.ofMinutes(1), Duration.ofSeconds(10));
      case "hourly" -> UserActivity.view();
      default ->
          throw new IllegalArgumentException(
              "unknown event-to-readable mode '" + mode + "' (live, live-window-end, hourly)");
    };
  }

  static Map<String, Object> run(Params p) throws Exception {
    FeatureView def = definition(p.mode());
    ViewPlan plan = ViewPlan.of(def);
    String topic = plan.source().topic();
    String pgUrl = E2eStores.freshPostgres();
    E2eStores.flushRedis();
    E2eStores.freshTopic(topic);
    Path checkpoints = E2eStores.tempDir("freshet-bench-e2r-chk");
    int restPort = E2eStores.freePort();
    StreamExecutionEnvironment env = E2eStores.flink(checkpoints, p.checkpointMillis(), restPort);
    String group = "freshet-bench-e2r-" + System.nanoTime();
    JobSettings settings =
        new JobSettings(
            KafkaBroker.bootstrapServers(),
            group,
            JobSettings.StartingOffsets.EARLIEST,
            pgUrl,
            E2eStores.REDIS_URL,
            p.checkpointMillis(),
            5000);
    FeatureJobCompiler.compile(env, List.of(plan), settings);
    JobClient job = env.executeAsync("freshet event-to-readable bench");
    List<Probe> probes = new ArrayList<>();
    Poller poller = null;
    Map<String, Object> res = new LinkedHashMap<>();
    long events;
    List<long[]> completed = List.of();
    long t0 = System.nanoTime();
    try (GatewayServer gateway =
        GatewayServer.start(new GatewayConfig(0, E2eStores.REDIS_URL, Catalog.of(List.of(def))))) {
      FreshnessBench.awaitRunning(job, Duration.ofSeconds(60));
      Thread.sleep(1000);
      poller = new Poller(gateway.port(), plan.name(), p.pollMillis());
      poller.start();
      double load0 = Machine.load1();
      long produceStart = System.nanoTime();
      events = produce(p, topic, probes, poller);
      double produceSeconds = (System.nanoTime() - produceStart) / 1e9;
      res.put("producedEventsPerSecond", (events + probes.size()) / produceSeconds);
      res.put("lagWhenProducingEnded", lag(topic, group, p.rate()));
      poller.drain(Duration.ofSeconds(p.waitSeconds()));
      // every probe once more: still counted once
      int recheckedTwice = 0;
      int recheckedMissing = 0;
      for (Probe pr : probes) {
        long c = poller.count(pr.entity);
        if (c > 1) {
          recheckedTwice++;
        } else if (c < 1 && pr.readable != 0) {
          recheckedMissing++;
        }
      }
      res.put("parameters", params(p, plan));
      res.put("loadAtStart", load0);
      res.put("load1", Machine.load1());
      res.put("events", events);
      res.putAll(summarize(probes, poller));
      res.put("probesCountedTwiceOnRecheck", recheckedTwice);
      res.put("probesReadThenMissingOnRecheck", recheckedMissing);
      res.put("online", onlineBytes(plan));
      res.put("checkpoints", CheckpointStats.of(restPort, job.getJobID(), p.checkpointMillis()));
      completed = CheckpointStats.completedTimes(restPort, job.getJobID());
    } finally {
      if (poller != null) {
        poller.stopNow();
      }
      try {
        job.cancel().get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("event-to-readable: cancelling the job failed: " + e);
      }
      Machine.deleteTree(checkpoints);
    }
    res.put("offline", offline(plan, pgUrl, events + probes.size()));
    if (plan.requestTime()) {
      res.put("breakdown", breakdown(plan, pgUrl, probes, completed));
    }
    res.put("wallSeconds", (System.nanoTime() - t0) / 1e9);
    return res;
  }

  /**
   * How far the job is behind the topic: records after the offsets its last completed checkpoint
   * committed for the consumer group (Flink commits a checkpoint's offsets when it completes), so a
   * job that keeps up is behind by at most about one checkpoint interval of events.
   */
  static Map<String, Object> lag(String topic, String group, int rate) {
    Map<String, Object> m = new LinkedHashMap<>();
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers());
    try (Admin admin = Admin.create(props)) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int i = 0; i < E2eStores.PARTITIONS; i++) {
        latest.put(new TopicPartition(topic, i), OffsetSpec.latest());
      }
      long behind = 0;
      for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e :
          admin.listOffsets(latest).all().get().entrySet()) {
        OffsetAndMetadata c = committed.get(e.getKey());
        behind += e.getValue().offset() - (c == null ? 0 : c.offset());
      }
      m.put("records", behind);
      m.put("seconds", rate == 0 ? 0.0 : (double) behind / rate);
      m.put(
          "note",
          "records after the offsets of the last completed checkpoint, when the producer stopped;"
              + " seconds at the background rate");
    } catch (Exception e) {
      m.put("error", e.toString());
    }
    return m;
  }

  static Map<String, Object> params(Params p, ViewPlan plan) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", p.mode());
    m.put("view", plan.name());
    m.put("serving", plan.requestTime() ? "request_time" : "window_end");
    m.put("producerSeconds", p.seconds());
    m.put("backgroundEventsPerSecond", p.rate());
    m.put("users", p.users());
    m.put("probesPerSecond", p.probesPerSecond());
    m.put("probeSeconds", Math.min(p.seconds(), p.probeSeconds()));
    m.put("checkpointIntervalMillis", p.checkpointMillis());
    m.put("pollMillis", p.pollMillis());
    m.put("sinks", "exactly-once Postgres offline + Redis online (TileSink or row sinks)");
    m.put("stateBackend", "rocksdb, incremental checkpoints");
    m.put("flinkConf", System.getProperty("freshet.bench.flinkConf", ""));
    m.put("eventTime", "wall clock (real time)");
    return m;
  }

  /** Background events and probes for {@code p.seconds()}; returns the background events sent. */
  static long produce(Params p, String topic, List<Probe> probes, Poller poller) throws Exception {
    EventGen gen = new EventGen(42, p.users());
    AtomicReference<Exception> failed = new AtomicReference<>();
    long start = System.nanoTime();
    long stop = start + p.seconds() * 1_000_000_000L;
    double gapNanos = 1e9 / p.rate();
    double probeGapNanos = 1e9 / p.probesPerSecond();
    long nextProbe = start + (long) probeGapNanos;
    long probeStop = start + Math.min(p.seconds(), p.probeSeconds()) * 1_000_000_000L;
    String nonce = Long.toString(System.currentTimeMillis(), 36);
    long i = 0;
    try (KafkaProducer<String, String> producer = E2eStores.producer(0)) {
      for (; ; i++) {
        long due = start + (long) (i * gapNanos);
        long now = System.nanoTime();
        if (due > now) {
          LockSupport.parkNanos(due - now);
          now = System.nanoTime();
        }
        if (now >= stop) {
          break;
        }
        long ts = System.currentTimeMillis();
        if (now >= nextProbe && now < probeStop) {
          nextProbe += (long) probeGapNanos;
          Probe pr = new Probe("probe_" + nonce + "_" + probes.size());
          probes.add(pr);
          Activity a = new Activity();
          a.userId = pr.entity;
          a.eventType = "view";
          a.sessionId = pr.entity;
          a.platform = "web";
          a.ts = ts;
          producer.send(
              new ProducerRecord<>(
                  topic, probes.size() % E2eStores.PARTITIONS, a.userId, a.toJson()),
              (md, e) -> {
                if (e != null) {
                  failed.compareAndSet(null, e);
                  return;
                }
                pr.acked = System.nanoTime();
                pr.ackedWallMicros = wallMicros();
                poller.watch(pr);
              });
        }
        Activity a = gen.event(i);
        a.ts = ts;
        a.sessionId = a.userId + "-" + (ts / 1_800_000L);
        producer.send(
            new ProducerRecord<>(topic, (int) (i % E2eStores.PARTITIONS), a.userId, a.toJson()),
            (md, e) -> {
              if (e != null) {
                failed.compareAndSet(null, e);
              }
            });
      }
      producer.flush();
    }
    if (failed.get() != null) {
      throw new IllegalStateException("producing failed", failed.get());
    }
    return i;
  }

  /** Polls the gateway for every watched probe until it answers with the probe counted. */
  static final class Poller extends Thread {
    private final HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    private final ObjectMapper json = new ObjectMapper();
    private final String base;
    private final long pollMillis;
    private final ConcurrentLinkedQueue<Probe> incoming = new ConcurrentLinkedQueue<>();
    private final List<Probe> pending = new ArrayList<>();
    private volatile boolean stopped;
    volatile long requests;
    volatile long errors;
    private volatile long pendingCount;

    Poller(int port, String view, long pollMillis) {
      super("event-to-readable-poller");
      setDaemon(true);
      this.base = "http://127.0.0.1:" + port + "/features/" + view + "/";
      this.pollMillis = pollMillis;
    }

    void watch(Probe p) {
      incoming.add(p);
    }

    @Override
    public void run() {
      while (!stopped) {
        for (Probe p; (p = incoming.poll()) != null; ) {
          pending.add(p);
        }
        sweep();
        pendingCount = pending.size() + incoming.size();
        LockSupport.parkNanos(pollMillis * 1_000_000L);
      }
    }

    /**
     * One sweep: every pending probe asked at once, so a probe's readable instant is one request's
     * latency after it became readable, not a serial sweep's; each instant is taken when its answer
     * arrives. Keeps the probes still unread.
     */
    private void sweep() {
      List<CompletableFuture<long[]>> asks = new ArrayList<>(pending.size());
      for (Probe p : pending) {
        requests++;
        asks.add(
            http.sendAsync(request(p.entity), HttpResponse.BodyHandlers.ofString())
                .handle(
                    (r, failure) -> {
                      long at = System.nanoTime();
                      long wall = wallMicros();
                      long c = failure == null ? countIn(r) : -1;
                      return new long[] {c, at, wall};
                    }));
      }
      List<Probe> unread = new ArrayList<>(pending.size());
      for (int i = 0; i < asks.size(); i++) {
        Probe p = pending.get(i);
        long[] answer = asks.get(i).join();
        long c = answer[0];
        if (c < 0) {
          errors++;
        }
        if (c > 1) {
          p.countedTwice = c;
        }
        if (c >= 1) {
          p.readable = answer[1];
          p.readableWallMicros = answer[2];
        } else {
          unread.add(p);
        }
      }
      pending.clear();
      pending.addAll(unread);
    }

    private HttpRequest request(String entity) {
      return HttpRequest.newBuilder(URI.create(base + entity))
          .timeout(Duration.ofSeconds(2))
          .build();
    }

    /** The probe's event_count_1h in an answer; 0 when absent or not 200, -1 when unreadable. */
    private long countIn(HttpResponse<String> r) {
      if (r.statusCode() != 200) {
        return 0;
      }
      try {
        JsonNode v = json.readTree(r.body()).path("features").path("event_count_1h");
        return v.isNumber() ? v.asLong() : 0;
      } catch (Exception e) {
        return -1;
      }
    }

    /** The probe's event_count_1h as the gateway answers now; 0 when absent, -1 on error. */
    long count(String entity) {
      try {
        requests++;
        return countIn(http.send(request(entity), HttpResponse.BodyHandlers.ofString()));
      } catch (Exception e) {
        errors++;
        return -1;
      }
    }

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

  static Map<String, Object> summarize(List<Probe> probes, Poller poller) {
    List<Double> ms = new ArrayList<>();
    int unacked = 0;
    int unread = 0;
    int twice = 0;
    for (Probe p : probes) {
      if (p.acked == 0) {
        unacked++;
        continue;
      }
      if (p.countedTwice > 0) {
        twice++;
      }
      if (p.readable == 0) {
        unread++;
        continue;
      }
      ms.add((p.readable - p.acked) / 1e6);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("probes", probes.size());
    m.put("probesNotAcked", unacked);
    m.put("probesRead", ms.size());
    m.put("probesNeverReadable", unread);
    m.put("probesCountedTwice", twice);
    m.put("eventToReadableMillis", FreshnessBench.percentiles(ms));
    m.put("gatewayRequests", poller.requests);
    m.put("gatewayErrors", poller.errors);
    return m;
  }

  /** Mean {@code MEMORY USAGE} of the entity keys of the view (background users, up to 2,000). */
  static Map<String, Object> onlineBytes(ViewPlan plan) {
    Map<String, Object> m = new LinkedHashMap<>();
    RedisClient client = RedisClient.create(E2eStores.REDIS_URL);
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      String suffix = OnlineKeys.key(plan, "x").substring(3); // after "{x}"
      long keys = 0;
      long bytes = 0;
      long fields = 0;
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        var page = c.sync().scan(cursor, ScanArgs.Builder.matches("{user_*}" + suffix).limit(500));
        for (String k : page.getKeys()) {
          if (keys >= 2000) {
            break;
          }
          Long b = c.sync().memoryUsage(k);
          if (b != null) {
            bytes += b;
            keys++;
            if (plan.requestTime()) {
              fields += c.sync().hlen(k);
            }
          }
        }
        cursor = page;
      } while (!cursor.isFinished() && keys < 2000);
      m.put("entityKeysSampled", keys);
      m.put("bytesPerEntity", keys == 0 ? 0.0 : (double) bytes / keys);
      if (plan.requestTime()) {
        // a run shorter than the window holds fewer tiles per entity than a steady stream would
        m.put("tilesPerEntity", keys == 0 ? 0.0 : (double) fields / keys);
        m.put("bytesPerTile", fields == 0 ? 0.0 : (double) bytes / fields);
      }
      m.put("usedMemoryNote", "MEMORY USAGE key (Redis default sampling), mean over entity keys");
    } catch (Exception e) {
      m.put("error", e.toString());
    } finally {
      client.shutdown();
    }
    return m;
  }

  /**
   * Where a request-time probe's wait goes, from its acknowledgement to its first readable answer:
   * {@code barrier} until the checkpoint that committed it was triggered, {@code checkpoint} until
   * that checkpoint's last acknowledgement, {@code commit} until the online store stamped the tile
   * (its {@code visible_at}, Redis TIME), {@code poll} until the poller read it. The committing
   * checkpoint is the last one completed at or before {@code visible_at}. All on this machine's
   * clock (Flink's, Redis's and the poller's are the same clock here).
   */
  static Map<String, Object> breakdown(
      ViewPlan plan, String pgUrl, List<Probe> probes, List<long[]> completed) {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Long> visible = new HashMap<>();
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT entity_key, (extract(epoch FROM visible_at) * 1000000)::bigint FROM "
                    + TileTable.of(plan).qualifiedName()
                    + " WHERE entity_key LIKE 'probe\\_%' AND version = 1"
                    + " AND visible_at IS NOT NULL")) {
      while (rs.next()) {
        visible.put(rs.getString(1), rs.getLong(2));
      }
    } catch (Exception e) {
      m.put("error", e.toString());
      return m;
    }
    List<Double> barrier = new ArrayList<>();
    List<Double> checkpoint = new ArrayList<>();
    List<Double> commit = new ArrayList<>();
    List<Double> poll = new ArrayList<>();
    int unattributed = 0;
    for (Probe p : probes) {
      Long at = visible.get(p.entity);
      if (p.readableWallMicros == 0 || at == null) {
        unattributed++;
        continue;
      }
      long[] ck = null;
      for (long[] c : completed) {
        if (c[2] * 1000 <= at) {
          ck = c;
        }
      }
      if (ck == null || ck[1] * 1000 < p.ackedWallMicros - 1_000_000) {
        unattributed++;
        continue;
      }
      barrier.add((ck[1] * 1000 - p.ackedWallMicros) / 1e3);
      checkpoint.add((double) (ck[2] - ck[1]));
      commit.add((at - ck[2] * 1000) / 1e3);
      poll.add((p.readableWallMicros - at) / 1e3);
    }
    m.put("barrierMillis", FreshnessBench.percentiles(barrier));
    m.put("checkpointMillis", FreshnessBench.percentiles(checkpoint));
    m.put("commitMillis", FreshnessBench.percentiles(commit));
    m.put("pollMillis", FreshnessBench.percentiles(poll));
    m.put("probesUnattributed", unattributed);
    return m;
  }

  static long wallMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  /** Rows (window-end) or tile versions (request-time) written offline, per event produced. */
  static Map<String, Object> offline(ViewPlan plan, String pgUrl, long events) {
    Map<String, Object> m = new LinkedHashMap<>();
    try {
      String table =
          plan.requestTime()
              ? TileTable.of(plan).qualifiedName()
              : OfflineTable.of(plan).qualifiedName();
      long rows = E2eStores.count(pgUrl, "SELECT count(*) FROM " + table);
      m.put("table", table);
      m.put(plan.requestTime() ? "tileVersions" : "rows", rows);
      m.put("events", events);
      m.put("perEvent", events == 0 ? 0.0 : (double) rows / events);
      if (plan.requestTime()) {
        m.put(
            "probesWithTileVersionAbove1",
            E2eStores.count(
                pgUrl,
                "SELECT count(*) FROM "
                    + table
                    + " WHERE entity_key LIKE 'probe\\_%' AND version > 1"));
      }
    } catch (Exception e) {
      m.put("error", e.toString());
    }
    return m;
  }
}
