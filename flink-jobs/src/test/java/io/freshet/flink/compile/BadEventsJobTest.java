package io.freshet.flink.compile;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.aggregate.event.Decoded;
import io.freshet.examples.UserActivity;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.flink.source.SplitRejected;
import io.freshet.flink.window.SlicingWindowFunction;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every kind of bad event lands in the dead-letter output with its reason and raw payload, late
 * events in the late output, the job keeps producing rows for the good events, and the job's
 * counters match what was sent.
 */
class BadEventsJobTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(1)
              .build());

  private static final long T0 = 1_767_225_600_000L;

  /** Bad payloads and the reason each must be rejected with. */
  private static final Map<String, String> BAD =
      Map.ofEntries(
          Map.entry("{\"user_id\":\"u1\",", "unparseable JSON"),
          Map.entry("\"just a string\"", "not a JSON object"),
          Map.entry("{\"event_ts\":" + T0 + "}", "missing entity key field 'user_id'"),
          Map.entry(
              "{\"user_id\":null,\"event_ts\":" + T0 + "}", "missing entity key field 'user_id'"),
          Map.entry("{\"user_id\":\"u1\"}", "missing event time field 'event_ts'"),
          Map.entry(
              "{\"user_id\":\"u1\",\"event_ts\":\"noon\"}",
              "event time field 'event_ts' is not an ISO-8601 instant or epoch milliseconds"),
          Map.entry(
              "{\"user_id\":\"u1\",\"event_type\":\"purchase\",\"revenue\":\"9.99\",\"event_ts\":"
                  + T0
                  + "}",
              "field 'revenue' must be a number, got STRING"),
          Map.entry("{\"user_id\":\"u1\",\"event_ts\":\"2999-01-01T00:00:00Z\"}", "in the future"),
          Map.entry("{\"user_id\":\"u1\",\"event_ts\":86400000}", "is before 2000-01-01"),
          Map.entry(
              "{\"user_id\":\"u1\",\"pad\":\"" + "x".repeat(70_000) + "\",\"event_ts\":" + T0 + "}",
              "exceeds the limit of 65536"));

  @Test
  void bad_and_late_events_are_kept_with_reasons_and_counted_while_good_ones_aggregate()
      throws Exception {
    ViewPlan plan = ViewPlan.of(UserActivity.view());
    List<String> payloads = new ArrayList<>();
    Random r = new Random(3);
    for (int i = 0; i < 400; i++) {
      long ts = T0 + i * 30_000L;
      payloads.add(
          "{\"user_id\":\"u"
              + r.nextInt(5)
              + "\",\"event_type\":\"view\",\"session_id\":\"s\","
              + "\"platform\":\"web\",\"event_ts\":"
              + ts
              + "}");
    }
    List<String> bad = new ArrayList<>();
    for (var e : BAD.entrySet()) {
      for (int k = 0; k < 3; k++) {
        bad.add(e.getKey());
      }
    }
    List<String> mixed = new ArrayList<>(payloads);
    for (String b : bad) {
      mixed.add(r.nextInt(mixed.size()), b);
    }
    // Late: far behind everything before it, after the watermark has moved on.
    int lateCount = 7;
    for (int i = 0; i < lateCount; i++) {
      mixed.add(
          "{\"user_id\":\"u9\",\"event_type\":\"view\",\"event_ts\":"
              + (T0 - 86_400_000L + i)
              + "}");
    }
    mixed.add(
        "{\"user_id\":\"u1\",\"event_type\":\"view\",\"event_ts\":" + (T0 + 400 * 30_000L) + "}");

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(1);
    // Watermarks on every event, so lateness does not depend on when a periodic one fires.
    long bound = plan.source().maxOutOfOrderness().toMillis();
    WatermarkStrategy<Decoded> everyEvent =
        WatermarkStrategy.<Decoded>forGenerator(ctx -> new EveryEventWatermarks(bound))
            .withTimestampAssigner((d, ts) -> d.timestampOrMin());
    var decoded = FeatureJobCompiler.decode(env.fromData(mixed), plan, "test", everyEvent);
    var streams = FeatureJobCompiler.windows(decoded, plan);
    var rejectedIt = streams.rejected().collectAsync();
    var rowsIt = streams.rows().collectAsync();
    JobExecutionResult result = env.execute("bad events");

    List<RejectedEvent> rejected = drain(rejectedIt);
    List<FeatureRow> rows = drain(rowsIt);

    List<RejectedEvent> deadLetters =
        rejected.stream().filter(x -> x.kind == RejectedEvent.Kind.DEAD_LETTER).toList();
    List<RejectedEvent> late =
        rejected.stream().filter(x -> x.kind == RejectedEvent.Kind.LATE).toList();
    assertThat(deadLetters).hasSize(bad.size());
    Map<String, Integer> byReason = new TreeMap<>();
    for (RejectedEvent d : deadLetters) {
      String expectedReason = null;
      for (var e : BAD.entrySet()) {
        boolean same = e.getKey().equals(d.payload);
        boolean head =
            d.payload != null && d.payload.length() == 1024 && e.getKey().startsWith(d.payload);
        if (same || head) {
          expectedReason = e.getValue();
        }
      }
      assertThat(expectedReason).as("payload of %s is kept", d).isNotNull();
      assertThat(d.reason).contains(expectedReason);
      assertThat(d.origin).startsWith("test/0@");
      byReason.merge(expectedReason, 1, Integer::sum);
    }
    assertThat(byReason).hasSize(BAD.values().stream().distinct().toList().size());
    assertThat(late).hasSize(lateCount);
    assertThat(late).allSatisfy(l -> assertThat(l.payload).contains("\"u9\""));
    assertThat(rows).as("good events still aggregate").isNotEmpty();
    assertThat(rows).extracting(FeatureRow::entityKey).doesNotContain("u9");

    long deadCounter = result.getAccumulatorResult(SplitRejected.accumulatorName(plan.name()));
    long lateCounter =
        result.getAccumulatorResult(SlicingWindowFunction.lateAccumulatorName(plan.name()));
    assertThat(deadCounter).isEqualTo(bad.size());
    assertThat(lateCounter).isEqualTo(lateCount);
  }

  private static <T> List<T> drain(CloseableIterator<T> it) throws Exception {
    List<T> out = new ArrayList<>();
    try (it) {
      it.forEachRemaining(out::add);
    }
    return Collections.unmodifiableList(out);
  }
}
