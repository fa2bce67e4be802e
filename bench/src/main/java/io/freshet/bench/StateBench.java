package io.freshet.bench;

import io.freshet.examples.UserActivity;
import io.freshet.flink.compile.FeatureJobCompiler;
import io.freshet.plan.ViewPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * State size of {@code user_activity} (1h/15min) on RocksDB: N keys each with three events (three
 * sessions, three products) inside one slice, so no window fires and every key stays active; the
 * source keeps repeating the same events, so state stops growing after 3N events. Reads the size of
 * the newest completed incremental checkpoint (shared SST files it references plus its own files).
 */
public final class StateBench {
  static final AtomicLong EMITTED = new AtomicLong();

  private StateBench() {}

  static Map<String, Object> run(int keys) throws Exception {
    Path dir = Files.createTempDirectory("freshet-bench-state");
    try {
      var p =
          new PipelineBench.Params(
              PipelineBench.Variant.FRESHET,
              Duration.ofMinutes(15),
              0,
              keys,
              2,
              42,
              Duration.ofSeconds(2));
      StreamExecutionEnvironment env = PipelineBench.environment(p, dir);
      ViewPlan plan = ViewPlan.of(UserActivity.view());
      long n = keys;
      DataGeneratorSource<String> gen =
          new DataGeneratorSource<>(
              k -> {
                long round = (k / n) % 3;
                return "{\"user_id\":\"user_"
                    + (k % n)
                    + "\",\"event_type\":\"view\",\"product_id\":\"product_"
                    + round
                    + "\",\"session_id\":\"s"
                    + round
                    + "\",\"platform\":\"web\",\"event_ts\":"
                    + (EventGen.BASE_MILLIS + (k % 50_000))
                    + "}";
              },
              Long.MAX_VALUE,
              RateLimiterStrategy.perSecond(50_000),
              TypeInformation.of(String.class));
      var payloads =
          env.fromSource(
                  gen,
                  org.apache.flink.api.common.eventtime.WatermarkStrategy.noWatermarks(),
                  "state gen")
              .map(
                  s -> {
                    EMITTED.incrementAndGet();
                    return s;
                  },
                  TypeInformation.of(String.class));
      var streams =
          FeatureJobCompiler.windows(FeatureJobCompiler.decode(payloads, plan, "state"), plan);
      streams.rows().sinkTo(new DiscardingSink<>());
      EMITTED.set(0);
      JobClient job = env.executeAsync("bench state " + keys + " keys");
      try {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (EMITTED.get() < 3 * n && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        int after = latestCompleted(dir).map(StateBench::chkNumber).orElse(0);
        Path chk = null;
        while (System.nanoTime() < deadline) {
          Optional<Path> l = latestCompleted(dir);
          if (l.isPresent() && chkNumber(l.get()) >= after + 2) {
            chk = l.get();
            break;
          }
          Thread.sleep(200);
        }
        if (chk == null) {
          throw new IllegalStateException("no checkpoint completed within 5 minutes");
        }
        Path jobDir = chk.getParent();
        long own = Machine.sizeOfTree(chk);
        long shared = Machine.sizeOfTree(jobDir.resolve("shared"));
        long taskOwned = Machine.sizeOfTree(jobDir.resolve("taskowned"));
        long total = own + shared + taskOwned;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("activeKeys", keys);
        m.put("eventsPerKey", 3);
        m.put("view", "user_activity 1h/15min");
        m.put("checkpoint", chk.getFileName().toString());
        m.put("checkpointBytes", total);
        m.put("sharedSstBytes", shared);
        m.put("checkpointOwnBytes", own);
        m.put("bytesPerActiveKey", (double) total / keys);
        m.put("load1", Machine.load1());
        System.out.printf(
            "state: %d keys, checkpoint %d bytes, %.1f bytes/key%n",
            keys, total, (double) total / keys);
        return m;
      } finally {
        job.cancel().get();
      }
    } finally {
      Machine.deleteTree(dir);
    }
  }

  static int chkNumber(Path p) {
    return Integer.parseInt(p.getFileName().toString().substring(4));
  }

  static Optional<Path> latestCompleted(Path root) throws Exception {
    try (Stream<Path> s = Files.walk(root, 3)) {
      return s.filter(f -> f.getFileName().toString().startsWith("chk-"))
          .filter(f -> Files.exists(f.resolve("_metadata")))
          .max((a, b) -> Integer.compare(chkNumber(a), chkNumber(b)));
    }
  }
}
