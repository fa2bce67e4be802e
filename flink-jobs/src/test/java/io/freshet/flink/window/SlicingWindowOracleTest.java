package io.freshet.flink.window;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Aggregation;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.Filter;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.flink.source.Decoded;
import io.freshet.flink.source.Event;
import io.freshet.flink.source.EventDecoder;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.flink.window.BruteForceWindows.Ev;
import io.freshet.flink.window.BruteForceWindows.Row;
import io.freshet.flink.window.BruteForceWindows.Spec;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The sliced operator against {@link BruteForceWindows} on generated streams with disorder, late
 * events, many keys and several window sizes, on the heap and RocksDB backends, with and without a
 * snapshot and restore in the middle.
 */
class SlicingWindowOracleTest {
  private static final long MIN = 60_000L;
  private static final long BOUND = 10 * MIN;
  private static final long SLIDE = 15 * MIN;
  private static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

  private static final List<Spec> SPECS =
      List.of(
          new Spec(false, false, 60 * MIN),
          new Spec(false, true, 60 * MIN),
          new Spec(true, true, 60 * MIN),
          new Spec(false, false, 30 * MIN),
          new Spec(true, false, 120 * MIN));

  static ViewPlan plan() {
    var purchase = Filter.equalTo("event_type", "purchase");
    var h1 = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
    var m30 = SlidingWindow.of(Duration.ofMinutes(30), Duration.ofMinutes(15));
    var h2 = SlidingWindow.of(Duration.ofHours(2), Duration.ofMinutes(15));
    return ViewPlan.of(
        FeatureView.named("oracle_view")
            .source(
                KafkaJsonSource.topic("events")
                    .keyedBy("user_id")
                    .eventTimeField("event_ts")
                    .withMaxOutOfOrderness(Duration.ofMinutes(10)))
            .feature(Feature.named("events_1h").aggregate(Aggregation.count()).over(h1))
            .feature(
                Feature.named("purchases_1h")
                    .aggregate(Aggregation.count())
                    .where(purchase)
                    .over(h1))
            .feature(
                Feature.named("revenue_1h")
                    .aggregate(Aggregation.sum("revenue"))
                    .where(purchase)
                    .over(h1))
            .feature(Feature.named("events_30m").aggregate(Aggregation.count()).over(m30))
            .feature(Feature.named("any_revenue_2h").aggregate(Aggregation.sum("revenue")).over(h2))
            .build());
  }

  @ParameterizedTest(name = "seed {0}, rocksdb {1}, restore midway {2}")
  @CsvSource({"1, false, false", "2, true, false", "3, false, true", "4, true, true"})
  void operator_rows_equal_brute_force(long seed, boolean rocksdb, boolean restoreMidway)
      throws Exception {
    ViewPlan plan = plan();
    EventDecoder decoder = new EventDecoder(plan);
    Random r = new Random(seed);
    int n = 20_000;
    long t = T0;
    long watermark = Long.MIN_VALUE;
    long maxTs = Long.MIN_VALUE;
    List<Ev> accepted = new ArrayList<>();
    List<Ev> late = new ArrayList<>();

    var harness = harness(plan, rocksdb, null);
    List<FeatureRow> output = new ArrayList<>();
    List<RejectedEvent> lateOut = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      t += r.nextInt(20_000);
      long ts = t - (long) (r.nextDouble() * BOUND);
      if (r.nextInt(50) == 0) {
        ts = t - BOUND - r.nextInt((int) (120 * MIN));
      }
      String key = "user_" + r.nextInt(40);
      String type = r.nextInt(10) == 0 ? "purchase" : (r.nextBoolean() ? "view" : "click");
      BigDecimal revenue = r.nextInt(4) == 0 ? null : BigDecimal.valueOf(r.nextInt(100_000), 2);
      String json =
          "{\"user_id\":\""
              + key
              + "\",\"event_type\":\""
              + type
              + "\",\"event_ts\":"
              + ts
              + (revenue == null ? "" : ",\"revenue\":" + revenue.toPlainString())
              + "}";
      Decoded d = decoder.decode(json, "events/0@" + i);
      assertThat(d.isOk()).as(d.rejection() + " " + json).isTrue();
      Event e = d.event();
      e.raw = json;
      e.origin = "events/0@" + i;
      harness.processElement(e, ts);
      Ev ev = new Ev(key, ts, type, revenue);
      if (ts <= watermark) {
        late.add(ev);
      } else {
        accepted.add(ev);
      }
      maxTs = Math.max(maxTs, ts);
      if (i % 50 == 49) {
        long wm = maxTs - BOUND - 1;
        if (wm > watermark) {
          watermark = wm;
          harness.processWatermark(wm);
        }
      }
      if (restoreMidway && i == n / 2) {
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        output.addAll(harness.extractOutputValues());
        drainLate(harness, lateOut);
        harness.close();
        harness = harness(plan, rocksdb, snapshot);
      }
    }
    harness.processWatermark(Long.MAX_VALUE);
    output.addAll(harness.extractOutputValues());
    drainLate(harness, lateOut);
    if (!rocksdb) {
      assertThat(harness.numKeyedStateEntries()).as("state left after the last window").isZero();
    }
    harness.close();

    List<Row> expected = BruteForceWindows.rows(accepted, SPECS, SLIDE, Long.MAX_VALUE);
    assertThat(late).as("generator produced late events").isNotEmpty();
    assertRowsEqual(output, expected);
    assertThat(lateOut)
        .extracting(l -> l.eventTs)
        .containsExactlyInAnyOrderElementsOf(late.stream().map(Ev::ts).toList());
    assertThat(lateOut).allSatisfy(l -> assertThat(l.payload).contains("\"user_id\""));
  }

  private static void drainLate(
      KeyedOneInputStreamOperatorTestHarness<String, Event, FeatureRow> h,
      List<RejectedEvent> into) {
    var q = h.getSideOutput(SlicingWindowFunction.LATE);
    if (q != null) {
      for (StreamRecord<RejectedEvent> rec : q) {
        into.add(rec.getValue());
      }
      q.clear();
    }
  }

  static void assertRowsEqual(List<FeatureRow> actual, List<Row> expected) {
    Comparator<FeatureRow> byKeyTs =
        Comparator.comparing(FeatureRow::entityKey).thenComparingLong(FeatureRow::featureTs);
    List<FeatureRow> sorted = new ArrayList<>(actual);
    sorted.sort(byKeyTs);
    assertThat(sorted.stream().map(x -> x.entityKey() + "@" + x.featureTs()).toList())
        .containsExactlyElementsOf(
            expected.stream()
                .sorted(Comparator.comparing(Row::key).thenComparingLong(Row::featureTs))
                .map(x -> x.key() + "@" + x.featureTs())
                .toList());
    var exp =
        expected.stream()
            .sorted(Comparator.comparing(Row::key).thenComparingLong(Row::featureTs))
            .toList();
    for (int i = 0; i < sorted.size(); i++) {
      Object[] got = sorted.get(i).values();
      List<BigDecimal> want = exp.get(i).values();
      for (int p = 0; p < want.size(); p++) {
        double g = ((Number) got[p]).doubleValue();
        assertThat(g)
            .as("row %s part %d", sorted.get(i), p)
            .isCloseTo(want.get(p).doubleValue(), org.assertj.core.data.Offset.offset(1e-6));
        if (got[p] instanceof Long l) {
          assertThat(BigDecimal.valueOf(l)).isEqualByComparingTo(want.get(p));
        }
      }
    }
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, Event, FeatureRow> harness(
      ViewPlan plan, boolean rocksdb, OperatorSubtaskState restore) throws Exception {
    var h =
        new KeyedOneInputStreamOperatorTestHarness<String, Event, FeatureRow>(
            new KeyedProcessOperator<>(new SlicingWindowFunction(plan)), e -> e.key, Types.STRING);
    if (rocksdb) {
      h.setStateBackend(new EmbeddedRocksDBStateBackend());
    }
    if (restore != null) {
      h.initializeState(restore);
    }
    h.open();
    return h;
  }
}
