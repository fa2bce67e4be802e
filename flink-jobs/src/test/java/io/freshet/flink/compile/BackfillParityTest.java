package io.freshet.flink.compile;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.FeatureView;
import io.freshet.examples.UserActivity;
import io.freshet.examples.UserLifetime;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backfill, in batch mode over a file, produces exactly the rows the streaming operator
 * produces for the same events arriving out of order (within the watermark bound).
 */
class BackfillParityTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  /**
   * The example views: sliding windows; lifetime features without a TTL; and the same with a TTL of
   * 5 minutes, which users often go quiet for, so that their lifetime state is cleared and starts
   * afresh.
   */
  static Stream<Arguments> views() {
    FeatureView lifetime = UserLifetime.view();
    FeatureView withTtl =
        new FeatureView(
            "user_lifetime_ttl",
            lifetime.source(),
            lifetime.features(),
            lifetime.derived(),
            Duration.ofMinutes(5),
            lifetime.availabilityDelay());
    return Stream.of(
        Arguments.of(UserActivity.view()), Arguments.of(lifetime), Arguments.of(withTtl));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("views")
  void backfill_rows_equal_streaming_rows(FeatureView view, @TempDir Path dir) throws Exception {
    ViewPlan plan = ViewPlan.of(view);
    long bound = plan.source().maxOutOfOrderness().toMillis();
    Random r = new Random(11);
    List<String> lines = new ArrayList<>();
    long t = 1_767_225_600_000L;
    String[] types = {"view", "click", "add_to_cart", "purchase"};
    for (int i = 0; i < 20_000; i++) {
      t += r.nextInt(6_000);
      long ts = t - (long) (r.nextDouble() * (bound - 1));
      String type = types[r.nextInt(types.length)];
      lines.add(
          "{\"user_id\":\"user_"
              + r.nextInt(80)
              + "\",\"event_type\":\""
              + type
              + "\",\"session_id\":\"s"
              + r.nextInt(30)
              + "\","
              + (r.nextBoolean() ? "\"product_id\":\"p" + r.nextInt(60) + "\"," : "")
              + ("purchase".equals(type) ? "\"revenue\":" + r.nextInt(10_000) / 100.0 + "," : "")
              + "\"platform\":\""
              + new String[] {"ios", "android", "web"}[r.nextInt(3)]
              + "\",\"event_ts\":"
              + ts
              + "}");
      if (r.nextInt(200) == 0) {
        lines.add("{\"user_id\":\"broken\"");
      }
    }
    Path input = dir.resolve("events.jsonl");
    Files.write(input, lines);
    Files.write(Path.of(System.getProperty("java.io.tmpdir"), "parity-events.jsonl"), lines);

    StreamExecutionEnvironment stream = StreamExecutionEnvironment.getExecutionEnvironment();
    stream.setParallelism(1);
    var decoded =
        FeatureJobCompiler.decode(
            stream.fromData(lines), plan, "test", EveryEventWatermarks.strategy(bound));
    CloseableIterator<FeatureRow> streamed =
        FeatureJobCompiler.windows(decoded, plan).rows().collectAsync();
    stream.execute("streaming");
    List<String> streamingRows = describe(streamed);

    StreamExecutionEnvironment batch = StreamExecutionEnvironment.getExecutionEnvironment();
    batch.setParallelism(2);
    batch.setRuntimeMode(org.apache.flink.api.common.RuntimeExecutionMode.BATCH);
    var fromFile =
        BackfillCompiler.read(batch, plan, new BackfillSource.JsonLines(input.toString()));
    CloseableIterator<FeatureRow> backfilled =
        FeatureJobCompiler.windows(fromFile, plan).rows().collectAsync();
    batch.execute("backfill");
    List<String> backfillRows = describe(backfilled);

    assertThat(streamingRows).hasSizeGreaterThan(1000);
    List<String> missing = new ArrayList<>(streamingRows);
    missing.removeAll(backfillRows);
    List<String> extra = new ArrayList<>(backfillRows);
    extra.removeAll(streamingRows);
    assertThat(missing).as("rows the stream wrote and the backfill did not").isEmpty();
    assertThat(extra).as("rows the backfill wrote and the stream did not").isEmpty();
    assertThat(backfillRows).hasSameSizeAs(streamingRows);
  }

  private static List<String> describe(CloseableIterator<FeatureRow> it) throws Exception {
    List<String> out = new ArrayList<>();
    try (it) {
      it.forEachRemaining(row -> out.add(row.toString()));
    }
    out.sort(null);
    return out;
  }
}
