package io.freshet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.freshet.bench.EventGen.Activity;
import io.freshet.examples.UserActivity;
import io.freshet.flink.compile.FeatureJobCompiler;
import io.freshet.plan.ViewPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

/**
 * Pipeline throughput of {@code user_activity}: the same generated JSON events, RocksDB state with
 * incremental checkpoints, a discarding sink, and one of three window implementations.
 */
public final class PipelineBench {
  /** The implementations compared. */
  public enum Variant {
    /** Freshet's sliced operator, fed through Freshet's JSON decoder. */
    FRESHET,
    /** Flink SQL {@code HOP} window TVF with the same aggregates (exact COUNT DISTINCT). */
    SQL_HOP,
    /** DataStream {@code SlidingEventTimeWindows} with an {@code AggregateFunction}. */
    DATASTREAM_SLIDING
  }

  /** One run's parameters. */
  public record Params(
      Variant variant,
      Duration slide,
      long events,
      int users,
      int parallelism,
      long seed,
      Duration checkpointInterval) {}

  /**
   * One run's figures. {@code eventsPerSecond} is events over {@code processingMillis}, the time
   * from the first generated event to the end of the job (end-of-input firing included, job
   * submission and task deployment excluded); {@code netRuntimeMillis} is Flink's figure, which
   * includes deployment and dominates short runs.
   */
  public record Run(
      long events,
      long netRuntimeMillis,
      long wallMillis,
      long processingMillis,
      double eventsPerSecond,
      double load1) {}

  /**
   * When the first event was generated, in {@link System#nanoTime()}; the MiniCluster runs the job
   * in this JVM, so the source's map writes it here and the run reads it.
   */
  static final AtomicLong FIRST_EVENT_NANOS = new AtomicLong();

  private PipelineBench() {}

  public static Run run(Params p) throws Exception {
    Path checkpoints = Files.createTempDirectory("freshet-bench-chk");
    try {
      StreamExecutionEnvironment env = environment(p, checkpoints);
      build(env, p);
      FIRST_EVENT_NANOS.set(0);
      long t0 = System.nanoTime();
      JobExecutionResult r = env.execute("bench " + p.variant() + " slide " + p.slide());
      long t1 = System.nanoTime();
      long wall = (t1 - t0) / 1_000_000;
      long first = FIRST_EVENT_NANOS.get();
      if (first == 0) {
        throw new IllegalStateException("the job finished without generating an event");
      }
      long processing = Math.max(1, (t1 - first) / 1_000_000);
      return new Run(
          p.events(),
          r.getNetRuntime(),
          wall,
          processing,
          p.events() * 1000.0 / processing,
          Machine.load1());
    } finally {
      Machine.deleteTree(checkpoints);
    }
  }

  static StreamExecutionEnvironment environment(Params p, Path checkpoints) {
    Map<String, String> c = new HashMap<>();
    c.put("state.backend.type", "rocksdb");
    c.put("execution.checkpointing.incremental", "true");
    c.put("execution.checkpointing.dir", checkpoints.toUri().toString());
    c.put("execution.checkpointing.interval", p.checkpointInterval().toMillis() + " ms");
    c.put("execution.checkpointing.mode", "EXACTLY_ONCE");
    c.put("taskmanager.numberOfTaskSlots", String.valueOf(p.parallelism()));
    c.put("taskmanager.memory.managed.size", "512m");
    c.put("rest.port", "0");
    // Where RocksDB state keeps the timers: ROCKSDB (Flink's default) or HEAP,
    // -Dfreshet.bench.timerService=HEAP.
    String timers = System.getProperty("freshet.bench.timerService");
    if (timers != null) {
      c.put("state.backend.rocksdb.timer-service.factory", timers);
    }
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(
            p.parallelism(), Configuration.fromMap(c));
    env.getConfig().enableObjectReuse();
    return env;
  }

  static void build(StreamExecutionEnvironment env, Params p) {
    long n = p.events() - p.events() % p.parallelism();
    int par = p.parallelism();
    EventGen gen = new EventGen(p.seed(), p.users(), stepMillis(), 120_000);
    DataStream<String> payloads =
        env.fromSequence(0, n - 1)
            .map(
                k -> {
                  if (FIRST_EVENT_NANOS.get() == 0) {
                    FIRST_EVENT_NANOS.compareAndSet(0, System.nanoTime());
                  }
                  return gen.json(EventGen.interleave(k, n, par));
                },
                TypeInformation.of(String.class))
            .name("generate json");
    switch (p.variant()) {
      case FRESHET -> freshet(payloads, p);
      case SQL_HOP -> sql(env, activities(payloads), p);
      case DATASTREAM_SLIDING -> datastream(activities(payloads), p);
    }
  }

  /**
   * Event-time step between consecutive events, {@code -Dfreshet.bench.stepMillis} (default 6 ms:
   * with 100k users, one event per user every ten minutes).
   */
  static long stepMillis() {
    return Long.getLong("freshet.bench.stepMillis", 6);
  }

  static ViewPlan plan(Duration slide) {
    return ViewPlan.of(UserActivity.view("user_activity", slide, Duration.ofMinutes(10)));
  }

  static void freshet(DataStream<String> payloads, Params p) {
    ViewPlan plan = plan(p.slide());
    var decoded = FeatureJobCompiler.decode(payloads, plan, "bench");
    var streams = FeatureJobCompiler.windows(decoded, plan);
    streams.rows().sinkTo(new DiscardingSink<>()).name("blackhole");
    streams.rejected().sinkTo(new DiscardingSink<>()).name("blackhole rejected");
  }

  static DataStream<Activity> activities(DataStream<String> payloads) {
    return payloads
        .map(new ParseJson(), TypeInformation.of(Activity.class))
        .name("parse json")
        .assignTimestampsAndWatermarks(
            WatermarkStrategy.<Activity>forBoundedOutOfOrderness(Duration.ofMinutes(10))
                .withTimestampAssigner((a, ts) -> a.ts)
                .withIdleness(Duration.ofMinutes(1)));
  }

  /** Jackson tree parsing, as Freshet's decoder does it. */
  static final class ParseJson implements MapFunction<String, Activity> {
    private static final long serialVersionUID = 1L;
    private transient ObjectMapper mapper;

    @Override
    public Activity map(String s) throws Exception {
      if (mapper == null) {
        mapper = new ObjectMapper();
      }
      JsonNode n = mapper.readTree(s);
      Activity a = new Activity();
      a.userId = n.get("user_id").asText();
      a.eventType = n.get("event_type").asText();
      JsonNode pr = n.get("product_id");
      a.productId = pr == null ? null : pr.asText();
      JsonNode rv = n.get("revenue");
      a.revenue = rv == null ? null : rv.asDouble();
      a.sessionId = n.get("session_id").asText();
      a.platform = n.get("platform").asText();
      a.ts = n.get("event_ts").asLong();
      return a;
    }
  }

  static void sql(StreamExecutionEnvironment env, DataStream<Activity> events, Params p) {
    StreamTableEnvironment t = StreamTableEnvironment.create(env);
    Table table =
        t.fromDataStream(
            events,
            Schema.newBuilder()
                .columnByMetadata("rowtime", "TIMESTAMP_LTZ(3)")
                .watermark("rowtime", "SOURCE_WATERMARK()")
                .build());
    t.createTemporaryView("events", table);
    String query =
        "SELECT userId, window_end, event_count_1h, purchase_count_1h, revenue_1h,"
            + " session_count_1h, unique_products_1h,"
            + " SUBSTRING(last_ts_platform FROM 14) AS last_platform,"
            + " CASE WHEN event_count_1h = 0 THEN 0.0"
            + "  ELSE CAST(purchase_count_1h AS DOUBLE) / event_count_1h END AS conversion_rate_1h,"
            + " CASE WHEN purchase_count_1h = 0 THEN 0.0"
            + "  ELSE revenue_1h / purchase_count_1h END AS avg_revenue_per_purchase_1h"
            + " FROM ("
            + "  SELECT userId, window_start, window_end,"
            + "   COUNT(*) AS event_count_1h,"
            + "   COUNT(*) FILTER (WHERE eventType = 'purchase') AS purchase_count_1h,"
            + "   COALESCE(SUM(revenue) FILTER (WHERE eventType = 'purchase'), 0.0) AS revenue_1h,"
            + "   COUNT(DISTINCT sessionId) AS session_count_1h,"
            + "   COUNT(DISTINCT productId) AS unique_products_1h,"
            + "   MAX(CAST(ts AS STRING) || platform) AS last_ts_platform"
            + "  FROM TABLE(HOP(TABLE events, DESCRIPTOR(rowtime), INTERVAL '"
            + p.slide().toMinutes()
            + "' MINUTE, INTERVAL '1' HOUR))"
            + "  GROUP BY userId, window_start, window_end)";
    t.toDataStream(t.sqlQuery(query)).sinkTo(new DiscardingSink<>()).name("blackhole");
  }

  static void datastream(DataStream<Activity> events, Params p) {
    events
        .keyBy(a -> a.userId, TypeInformation.of(String.class))
        .window(SlidingEventTimeWindows.of(Duration.ofHours(1), p.slide()))
        .aggregate(new ActivityAgg(), TypeInformation.of(Acc.class), TypeInformation.of(Out.class))
        .sinkTo(new DiscardingSink<>())
        .name("blackhole");
  }

  /** The accumulator a DataStream user would write: counts, sums, exact distinct sets. */
  public static class Acc {
    public long events;
    public long purchases;
    public double revenue;
    public HashSet<String> sessions = new HashSet<>();
    public HashSet<String> products = new HashSet<>();
    public long lastTs = Long.MIN_VALUE;
    public String lastPlatform;

    public Acc() {}
  }

  /** The window's features. */
  public static class Out {
    public long events;
    public long purchases;
    public double revenue;
    public long sessions;
    public long products;
    public String lastPlatform;
    public double conversionRate;
    public double avgRevenuePerPurchase;

    public Out() {}
  }

  static final class ActivityAgg implements AggregateFunction<Activity, Acc, Out> {
    private static final long serialVersionUID = 1L;

    @Override
    public Acc createAccumulator() {
      return new Acc();
    }

    @Override
    public Acc add(Activity a, Acc acc) {
      acc.events++;
      if ("purchase".equals(a.eventType)) {
        acc.purchases++;
        acc.revenue += a.revenue == null ? 0 : a.revenue;
      }
      acc.sessions.add(a.sessionId);
      if (a.productId != null) {
        acc.products.add(a.productId);
      }
      if (a.ts > acc.lastTs || (a.ts == acc.lastTs && a.platform.compareTo(acc.lastPlatform) > 0)) {
        acc.lastTs = a.ts;
        acc.lastPlatform = a.platform;
      }
      return acc;
    }

    @Override
    public Out getResult(Acc acc) {
      Out o = new Out();
      o.events = acc.events;
      o.purchases = acc.purchases;
      o.revenue = acc.revenue;
      o.sessions = acc.sessions.size();
      o.products = acc.products.size();
      o.lastPlatform = acc.lastPlatform;
      o.conversionRate = acc.events == 0 ? 0 : (double) acc.purchases / acc.events;
      o.avgRevenuePerPurchase = acc.purchases == 0 ? 0 : acc.revenue / acc.purchases;
      return o;
    }

    @Override
    public Acc merge(Acc a, Acc b) {
      a.events += b.events;
      a.purchases += b.purchases;
      a.revenue += b.revenue;
      a.sessions.addAll(b.sessions);
      a.products.addAll(b.products);
      if (b.lastTs > a.lastTs) {
        a.lastTs = b.lastTs;
        a.lastPlatform = b.lastPlatform;
      }
      return a;
    }
  }
}
