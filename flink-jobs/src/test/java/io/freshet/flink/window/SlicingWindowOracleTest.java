package io.freshet.flink.window;

import static io.freshet.dsl.Aggregation.approxCountDistinct;
import static io.freshet.dsl.Aggregation.approxPercentile;
import static io.freshet.dsl.Aggregation.avg;
import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.countDistinct;
import static io.freshet.dsl.Aggregation.first;
import static io.freshet.dsl.Aggregation.last;
import static io.freshet.dsl.Aggregation.lastK;
import static io.freshet.dsl.Aggregation.max;
import static io.freshet.dsl.Aggregation.min;
import static io.freshet.dsl.Aggregation.sum;
import static io.freshet.dsl.Expression.add;
import static io.freshet.dsl.Expression.ratio;
import static io.freshet.dsl.Expression.ref;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.Event;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.dsl.DerivedFeature;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.Filter;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.flink.window.BruteForceWindows.Ev;
import io.freshet.flink.window.BruteForceWindows.Kind;
import io.freshet.flink.window.BruteForceWindows.Spec;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
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
 * events within and beyond the allowed lateness, many keys, every aggregation kind and several
 * window sizes, on the heap and RocksDB backends, with and without a snapshot and restore midway.
 */
class SlicingWindowOracleTest {
  static final long MIN = 60_000L;
  static final long BOUND = 10 * MIN;
  private static final long SLIDE = 15 * MIN;
  static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

  static final List<Spec> SPECS =
      List.of(
          new Spec(Kind.COUNT, null, false, 60 * MIN),
          new Spec(Kind.COUNT, null, true, 60 * MIN),
          new Spec(Kind.SUM, Ev::revenue, true, 60 * MIN),
          new Spec(Kind.COUNT, null, false, 30 * MIN),
          new Spec(Kind.SUM, Ev::revenue, false, 120 * MIN),
          new Spec(Kind.MIN, Ev::revenue, false, 60 * MIN),
          new Spec(Kind.MAX, Ev::revenue, false, 120 * MIN),
          new Spec(Kind.AVG, Ev::revenue, true, 60 * MIN),
          new Spec(Kind.FIRST, Ev::platform, false, 60 * MIN),
          new Spec(Kind.LAST, Ev::platform, false, 60 * MIN),
          new Spec(Kind.DISTINCT, Ev::session, false, 60 * MIN),
          new Spec(Kind.APPROX_DISTINCT, Ev::product, false, 120 * MIN),
          new Spec(Kind.P90, Ev::revenue, false, 60 * MIN),
          new Spec(Kind.LAST3, Ev::product, false, 60 * MIN));

  static ViewPlan plan(Duration lateness) {
    return ViewPlan.of(view(lateness).build());
  }

  /** The test view, before it is built: request-time tests serve the same features from tiles. */
  static FeatureView.Builder view(Duration lateness) {
    var purchase = Filter.equalTo("event_type", "purchase");
    var h1 = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
    var m30 = SlidingWindow.of(Duration.ofMinutes(30), Duration.ofMinutes(15));
    var h2 = SlidingWindow.of(Duration.ofHours(2), Duration.ofMinutes(15));
    return FeatureView.named("oracle_view")
        .source(
            KafkaJsonSource.topic("events")
                .keyedBy("user_id")
                .eventTimeField("event_ts")
                .withMaxOutOfOrderness(Duration.ofMinutes(10))
                .withAllowedLateness(lateness))
        .feature(Feature.named("events_1h").aggregate(count()).over(h1))
        .feature(Feature.named("purchases_1h").aggregate(count()).where(purchase).over(h1))
        .feature(Feature.named("revenue_1h").aggregate(sum("revenue")).where(purchase).over(h1))
        .feature(Feature.named("events_30m").aggregate(count()).over(m30))
        .feature(Feature.named("any_revenue_2h").aggregate(sum("revenue")).over(h2))
        .feature(Feature.named("min_revenue_1h").aggregate(min("revenue")).over(h1))
        .feature(Feature.named("max_revenue_2h").aggregate(max("revenue")).over(h2))
        .feature(
            Feature.named("avg_purchase_1h").aggregate(avg("revenue")).where(purchase).over(h1))
        .feature(Feature.named("first_platform").aggregate(first("platform")).over(h1))
        .feature(Feature.named("last_platform").aggregate(last("platform")).over(h1))
        .feature(Feature.named("sessions_1h").aggregate(countDistinct("session_id")).over(h1))
        .feature(Feature.named("products_2h").aggregate(approxCountDistinct("product_id")).over(h2))
        .feature(
            Feature.named("p90_revenue_1h").aggregate(approxPercentile("revenue", 0.9)).over(h1))
        .feature(Feature.named("last_products").aggregate(lastK("product_id", 3)).over(h1))
        .derived(
            DerivedFeature.named("conversion_1h")
                .as(ratio(ref("purchases_1h"), ref("events_1h"), 0)))
        .derived(
            DerivedFeature.named("revenue_sum_both")
                .as(add(ref("revenue_1h"), ref("any_revenue_2h"))));
  }

  @ParameterizedTest(name = "seed {0}, rocksdb {1}, restore midway {2}, lateness {3} min")
  @CsvSource({
    "1, false, false, 0",
    "2, true, false, 0",
    "3, false, true, 0",
    "4, true, true, 0",
    "5, false, false, 20",
    "6, true, true, 20",
    "7, false, false, 180",
    "8, true, true, 180"
  })
  void operator_rows_equal_brute_force(
      long seed, boolean rocksdb, boolean restoreMidway, int latenessMinutes) throws Exception {
    long lateness = latenessMinutes * MIN;
    ViewPlan plan = plan(Duration.ofMinutes(latenessMinutes));
    EventDecoder decoder = new EventDecoder(plan);
    Random r = new Random(seed);
    int n = 12_000;
    long t = T0;
    long watermark = Long.MIN_VALUE;
    long maxTs = Long.MIN_VALUE;
    List<Ev> accepted = new ArrayList<>();
    List<Ev> late = new ArrayList<>();
    int lateAccepted = 0;

    var harness = harness(plan, rocksdb, null);
    List<FeatureRow> output = new ArrayList<>();
    List<RejectedEvent> lateOut = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      t += r.nextInt(20_000);
      long ts = t - (long) (r.nextDouble() * BOUND);
      if (r.nextInt(40) == 0) {
        ts = t - BOUND - r.nextInt((int) ((60 + latenessMinutes) * MIN));
      }
      Ev ev = randomEvent(r, "user_" + r.nextInt(30), ts);
      String json = json(ev, r);
      Decoded d = decoder.decode(json, "events/0@" + i);
      assertThat(d.isOk()).as(d.rejection() + " " + json).isTrue();
      Event e = d.event();
      e.raw = json;
      e.origin = "events/0@" + i;
      harness.processElement(e, ts);
      if (watermark != Long.MIN_VALUE && ts <= watermark - lateness) {
        late.add(ev);
      } else {
        accepted.add(ev);
        if (ts <= watermark) {
          lateAccepted++;
        }
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

    assertThat(late).as("generator produced events beyond the lateness").isNotEmpty();
    if (lateness > 0) {
      assertThat(lateAccepted).as("generator produced events within the lateness").isPositive();
    }
    assertValuesInEffect(plan, output, accepted);
    if (lateness == 0) {
      assertOnlyChangesWritten(output, accepted);
    }
    assertThat(lateOut)
        .extracting(l -> l.eventTs)
        .containsExactlyInAnyOrderElementsOf(late.stream().map(Ev::ts).toList());
    assertThat(lateOut).allSatisfy(l -> assertThat(l.payload).contains("\"user_id\""));
  }

  /**
   * For every key and every window end, the latest row at or before it (the last version written)
   * carries the brute-force value of that window; before a key's first row, its windows are empty.
   */
  static void assertValuesInEffect(ViewPlan plan, List<FeatureRow> output, List<Ev> accepted) {
    Map<String, TreeMap<Long, FeatureRow>> rows = new HashMap<>();
    for (FeatureRow row : output) {
      rows.computeIfAbsent(row.entityKey(), k -> new TreeMap<>()).put(row.featureTs(), row);
    }
    Map<String, List<Ev>> byKey = new TreeMap<>();
    for (Ev e : accepted) {
      byKey.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e);
    }
    int checked = 0;
    for (var entry : byKey.entrySet()) {
      List<Ev> evs = entry.getValue();
      long min = evs.stream().mapToLong(Ev::ts).min().orElseThrow();
      long max = evs.stream().mapToLong(Ev::ts).max().orElseThrow();
      TreeMap<Long, FeatureRow> keyRows = rows.getOrDefault(entry.getKey(), new TreeMap<>());
      for (long end = Math.floorDiv(min, SLIDE) * SLIDE;
          end <= max + 3 * SLIDE + 120 * MIN;
          end += SLIDE) {
        List<Object> want = BruteForceWindows.window(evs, SPECS, end);
        var inEffect = keyRows.floorEntry(end);
        if (inEffect == null) {
          assertThat(BruteForceWindows.isEmpty(want, SPECS))
              .as("%s has no row at or before %d but its window is %s", entry.getKey(), end, want)
              .isTrue();
          continue;
        }
        assertMatches(plan, inEffect.getValue(), want, entry.getKey() + "@" + end);
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(1000);
  }

  /** Without late updates, rows are exactly the change points of the brute-force sequence. */
  static void assertOnlyChangesWritten(List<FeatureRow> output, List<Ev> accepted) {
    Map<String, List<Ev>> byKey = new TreeMap<>();
    for (Ev e : accepted) {
      byKey.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e);
    }
    List<String> expected = new ArrayList<>();
    for (var entry : byKey.entrySet()) {
      List<Ev> evs = entry.getValue();
      long min = evs.stream().mapToLong(Ev::ts).min().orElseThrow();
      long max = evs.stream().mapToLong(Ev::ts).max().orElseThrow();
      List<Object> previous = null;
      for (long end = Math.floorDiv(min, SLIDE) * SLIDE;
          end <= max + 3 * SLIDE + 120 * MIN;
          end += SLIDE) {
        List<Object> v = BruteForceWindows.window(evs, SPECS, end);
        boolean changed =
            previous == null
                ? !BruteForceWindows.isEmpty(v, SPECS)
                : !BruteForceWindows.same(v, previous);
        if (changed) {
          expected.add(entry.getKey() + "@" + end);
          previous = v;
        }
      }
    }
    assertThat(output.stream().map(x -> x.entityKey() + "@" + x.featureTs()).sorted().toList())
        .containsExactlyElementsOf(expected.stream().sorted().toList());
  }

  static void assertMatches(ViewPlan plan, FeatureRow row, List<Object> want, String at) {
    Object[] got = row.values();
    for (int i = 0; i < SPECS.size(); i++) {
      Spec s = SPECS.get(i);
      Object w = want.get(i);
      Object g = got[i];
      String what = at + " " + plan.parts().get(i).name();
      switch (s.kind()) {
        case COUNT, DISTINCT ->
            assertThat(BigDecimal.valueOf((Long) g)).as(what).isEqualByComparingTo((BigDecimal) w);
        case APPROX_DISTINCT -> {
          long exact = ((BigDecimal) w).longValueExact();
          assertThat((Long) g)
              .as(what)
              .isBetween(Math.round(exact * 0.95) - 1, Math.round(exact * 1.05) + 1);
        }
        case SUM, AVG, MIN, MAX, P90 -> {
          if (w == null) {
            assertThat(g).as(what).isNull();
          } else {
            assertThat((Double) g)
                .as(what)
                .isCloseTo(
                    ((BigDecimal) w).doubleValue(), org.assertj.core.data.Offset.offset(1e-6));
          }
        }
        default -> assertThat(g).as(what).isEqualTo(w);
      }
    }
    double events = ((Long) got[0]).doubleValue();
    double purchases = ((Long) got[1]).doubleValue();
    assertThat((Double) got[SPECS.size()])
        .as(at + " conversion_1h")
        .isEqualTo(events == 0 ? 0.0 : purchases / events);
    assertThat((Double) got[SPECS.size() + 1])
        .as(at + " revenue_sum_both")
        .isEqualTo((Double) got[2] + (Double) got[4]);
  }

  static Ev randomEvent(Random r, String key, long ts) {
    String type = r.nextInt(8) == 0 ? "purchase" : (r.nextBoolean() ? "view" : "click");
    BigDecimal revenue = r.nextInt(3) == 0 ? null : BigDecimal.valueOf(r.nextInt(100_000), 2);
    String platform =
        r.nextInt(10) == 0 ? null : new String[] {"ios", "android", "web"}[r.nextInt(3)];
    String session = "s" + r.nextInt(12);
    String product = r.nextInt(4) == 0 ? null : "p" + r.nextInt(50);
    return new Ev(key, ts, type, revenue, platform, session, product);
  }

  static String json(Ev e, Random r) {
    StringBuilder sb = new StringBuilder("{\"user_id\":\"").append(e.key()).append('"');
    sb.append(",\"event_type\":\"").append(e.type()).append('"');
    sb.append(",\"event_ts\":").append(e.ts());
    if (e.revenue() != null) {
      sb.append(",\"revenue\":").append(e.revenue().toPlainString());
    }
    if (e.platform() != null) {
      sb.append(",\"platform\":\"").append(e.platform()).append('"');
    }
    sb.append(",\"session_id\":\"").append(e.session()).append('"');
    if (e.product() != null) {
      sb.append(",\"product_id\":\"").append(e.product()).append('"');
    } else if (r.nextBoolean()) {
      sb.append(",\"product_id\":null");
    }
    return sb.append('}').toString();
  }

  static void drainLate(
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
