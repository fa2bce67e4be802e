package io.freshet.flink.window;

import static io.freshet.dsl.Aggregation.approxCountDistinct;
import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.first;
import static io.freshet.dsl.Aggregation.last;
import static io.freshet.dsl.Aggregation.lastEventTime;
import static io.freshet.dsl.Aggregation.max;
import static io.freshet.dsl.Aggregation.min;
import static io.freshet.dsl.Aggregation.sum;
import static io.freshet.flink.window.SlicingWindowOracleTest.BOUND;
import static io.freshet.flink.window.SlicingWindowOracleTest.MIN;
import static io.freshet.flink.window.SlicingWindowOracleTest.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.Event;
import io.freshet.aggregate.event.EventDecoder;
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
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Lifetime features against {@link BruteForceWindows}, which computes each one at a window end
 * {@code e} from every accepted event of the key before {@code e}, beside sliding-window features
 * of the same view. Generated streams have disorder and late events within and beyond the allowed
 * lateness; a checkpoint is restored midway, into the same number of subtasks or into two (the key
 * groups split between them), with or without the operator's heap cache (bounds far below the
 * number of keys, so that keys are evicted all the time), on the heap and RocksDB backends.
 */
class LifetimeOracleTest {
  private static final long SLIDE = 15 * MIN;
  private static final long LIFE = BruteForceWindows.LIFETIME;
  private static final int MAX_PARALLELISM = 128;

  static final List<Spec> SPECS =
      List.of(
          new Spec(Kind.COUNT, null, false, 60 * MIN),
          new Spec(Kind.COUNT, null, false, LIFE),
          new Spec(Kind.COUNT, null, true, LIFE),
          new Spec(Kind.SUM, Ev::revenue, true, LIFE),
          new Spec(Kind.SUM, Ev::revenue, false, 120 * MIN),
          new Spec(Kind.MIN, Ev::revenue, false, LIFE),
          new Spec(Kind.MAX, Ev::revenue, false, LIFE),
          new Spec(Kind.FIRST, Ev::platform, false, LIFE),
          new Spec(Kind.LAST, Ev::platform, false, LIFE),
          new Spec(Kind.APPROX_DISTINCT, Ev::product, false, LIFE),
          new Spec(Kind.LAST_TS, null, false, LIFE),
          new Spec(Kind.LAST_TS, null, true, LIFE),
          new Spec(Kind.LAST_TS, null, true, 60 * MIN));

  static ViewPlan plan(Duration lateness) {
    var purchase = Filter.equalTo("event_type", "purchase");
    var h1 = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
    var h2 = SlidingWindow.of(Duration.ofHours(2), Duration.ofMinutes(15));
    Duration slide = Duration.ofMinutes(15);
    return ViewPlan.of(
        FeatureView.named("lifetime_view")
            .source(
                KafkaJsonSource.topic("events")
                    .keyedBy("user_id")
                    .eventTimeField("event_ts")
                    .withMaxOutOfOrderness(Duration.ofMinutes(10))
                    .withAllowedLateness(lateness))
            .feature(Feature.named("events_1h").aggregate(count()).over(h1))
            .feature(Feature.named("events_life").aggregate(count()).overLifetime(slide))
            .feature(
                Feature.named("purchases_life")
                    .aggregate(count())
                    .where(purchase)
                    .overLifetime(slide))
            .feature(
                Feature.named("revenue_life")
                    .aggregate(sum("revenue"))
                    .where(purchase)
                    .overLifetime(slide))
            .feature(Feature.named("any_revenue_2h").aggregate(sum("revenue")).over(h2))
            .feature(
                Feature.named("min_revenue_life").aggregate(min("revenue")).overLifetime(slide))
            .feature(
                Feature.named("max_revenue_life").aggregate(max("revenue")).overLifetime(slide))
            .feature(
                Feature.named("first_platform_life")
                    .aggregate(first("platform"))
                    .overLifetime(slide))
            .feature(
                Feature.named("last_platform_life").aggregate(last("platform")).overLifetime(slide))
            .feature(
                Feature.named("products_life")
                    .aggregate(approxCountDistinct("product_id"))
                    .overLifetime(slide))
            .feature(Feature.named("last_seen_life").aggregate(lastEventTime()).overLifetime(slide))
            .feature(
                Feature.named("last_purchase_life")
                    .aggregate(lastEventTime())
                    .where(purchase)
                    .overLifetime(slide))
            .feature(
                Feature.named("last_purchase_1h")
                    .aggregate(lastEventTime())
                    .where(purchase)
                    .over(h1))
            .build());
  }

  @ParameterizedTest(
      name =
          "seed {0}, rocksdb {1}, cached keys {2}, lateness {3} min, cached after {4}, subtasks {5}")
  @CsvSource({
    "21, false, 0, 0, 0, 1",
    "22, true, 0, 20, 0, 2",
    "23, false, 1, 0, 1, 2",
    "24, true, 3, 20, 0, 1",
    "25, false, 7, 180, 7, 2",
    "26, true, 2, 180, 5, 2",
    "27, false, 1000, 20, 0, 2",
    "28, true, 0, 0, 3, 1"
  })
  void lifetime_rows_equal_brute_force(
      long seed,
      boolean rocksdb,
      int cachedKeys,
      int latenessMinutes,
      int cachedAfter,
      int subtasksAfter)
      throws Exception {
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

    List<KeyedOneInputStreamOperatorTestHarness<String, Event, FeatureRow>> harnesses =
        new ArrayList<>(List.of(harness(plan, rocksdb, cachedKeys, null, 1, 0)));
    List<FeatureRow> output = new ArrayList<>();
    List<RejectedEvent> lateOut = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      t += r.nextInt(20_000);
      long ts = t - (long) (r.nextDouble() * BOUND);
      if (r.nextInt(40) == 0) {
        ts = t - BOUND - r.nextInt((int) ((60 + latenessMinutes) * MIN));
      }
      // Some keys go quiet for hours, so their slices are all folded before they come back.
      String key = "user_" + (i % 3000 < 1500 ? r.nextInt(30) : 30 + r.nextInt(10));
      Ev ev = SlicingWindowOracleTest.randomEvent(r, key, ts);
      String json = SlicingWindowOracleTest.json(ev, r);
      Decoded d = decoder.decode(json, "events/0@" + i);
      assertThat(d.isOk()).as(d.rejection() + " " + json).isTrue();
      Event e = d.event();
      e.raw = json;
      e.origin = "events/0@" + i;
      harnesses.get(subtask(key, harnesses.size())).processElement(e, ts);
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
          for (var h : harnesses) {
            h.processWatermark(wm);
          }
        }
      }
      if (i == n / 4) {
        // A checkpoint that is never restored: the run goes on from the written-back entries.
        harnesses.get(0).snapshot(1L, 1L);
      }
      if (i == n / 2) {
        var before = harnesses.get(0);
        OperatorSubtaskState snapshot = before.snapshot(2L, 2L);
        output.addAll(before.extractOutputValues());
        SlicingWindowOracleTest.drainLate(before, lateOut);
        before.close();
        harnesses.clear();
        for (int s = 0; s < subtasksAfter; s++) {
          OperatorSubtaskState part =
              AbstractStreamOperatorTestHarness.repartitionOperatorState(
                  snapshot, MAX_PARALLELISM, 1, subtasksAfter, s);
          harnesses.add(harness(plan, rocksdb, cachedAfter, part, subtasksAfter, s));
        }
      }
    }
    long entries = 0;
    for (var h : harnesses) {
      h.processWatermark(Long.MAX_VALUE);
      output.addAll(h.extractOutputValues());
      SlicingWindowOracleTest.drainLate(h, lateOut);
      h.snapshot(3L, 3L);
      if (!rocksdb) {
        entries += h.numKeyedStateEntries();
      }
      h.close();
    }

    assertThat(late).as("generator produced events beyond the lateness").isNotEmpty();
    if (lateness > 0) {
      assertThat(lateAccepted).as("generator produced events within the lateness").isPositive();
    }
    long keys = accepted.stream().map(Ev::key).distinct().count();
    if (!rocksdb) {
      // Without a TTL each key keeps exactly its lifetime accumulators and its last result.
      assertThat(entries).as("state left after the last window").isEqualTo(2 * keys);
    }
    assertValuesInEffect(plan, output, accepted);
    if (lateness == 0) {
      assertOnlyChangesWritten(output, accepted);
    }
    assertThat(lateOut)
        .extracting(l -> l.eventTs)
        .containsExactlyInAnyOrderElementsOf(late.stream().map(Ev::ts).toList());
  }

  private static int subtask(String key, int subtasks) {
    return KeyGroupRangeAssignment.assignKeyToParallelOperator(key, MAX_PARALLELISM, subtasks);
  }

  /** The ends checked for a key: every slide from its first event to well after its last. */
  private static List<Long> ends(List<Ev> evs) {
    long min = evs.stream().mapToLong(Ev::ts).min().orElseThrow();
    long max = evs.stream().mapToLong(Ev::ts).max().orElseThrow();
    List<Long> ends = new ArrayList<>();
    for (long end = Math.floorDiv(min, SLIDE) * SLIDE;
        end <= max + 3 * SLIDE + 120 * MIN;
        end += SLIDE) {
      ends.add(end);
    }
    ends.add(Math.floorDiv(max, SLIDE) * SLIDE + 400L * 24 * 60 * MIN);
    return ends;
  }

  private static Map<String, List<Ev>> byKey(List<Ev> accepted) {
    Map<String, List<Ev>> byKey = new TreeMap<>();
    for (Ev e : accepted) {
      byKey.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e);
    }
    return byKey;
  }

  /** For every key and end, the latest row at or before it carries the brute-force values. */
  private static void assertValuesInEffect(
      ViewPlan plan, List<FeatureRow> output, List<Ev> accepted) {
    Map<String, TreeMap<Long, FeatureRow>> rows = new HashMap<>();
    for (FeatureRow row : output) {
      rows.computeIfAbsent(row.entityKey(), k -> new TreeMap<>()).put(row.featureTs(), row);
    }
    int checked = 0;
    for (var entry : byKey(accepted).entrySet()) {
      TreeMap<Long, FeatureRow> keyRows = rows.getOrDefault(entry.getKey(), new TreeMap<>());
      for (long end : ends(entry.getValue())) {
        List<Object> want = BruteForceWindows.window(entry.getValue(), SPECS, end);
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
  private static void assertOnlyChangesWritten(List<FeatureRow> output, List<Ev> accepted) {
    List<String> expected = new ArrayList<>();
    for (var entry : byKey(accepted).entrySet()) {
      List<Object> previous = null;
      for (long end : ends(entry.getValue())) {
        List<Object> v = BruteForceWindows.window(entry.getValue(), SPECS, end);
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

  private static void assertMatches(ViewPlan plan, FeatureRow row, List<Object> want, String at) {
    Object[] got = row.values();
    for (int i = 0; i < SPECS.size(); i++) {
      Spec s = SPECS.get(i);
      Object w = want.get(i);
      Object g = got[i];
      String what = at + " " + plan.parts().get(i).name();
      switch (s.kind()) {
        case COUNT ->
            assertThat(BigDecimal.valueOf((Long) g)).as(what).isEqualByComparingTo((BigDecimal) w);
        case APPROX_DISTINCT -> {
          long exact = ((BigDecimal) w).longValueExact();
          assertThat((Long) g)
              .as(what)
              .isBetween(Math.round(exact * 0.95) - 1, Math.round(exact * 1.05) + 1);
        }
        case SUM, MIN, MAX -> {
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
  }

  /** The operator with at most {@code cachedKeys} keys cached, or the plain function for 0. */
  private static KeyedOneInputStreamOperatorTestHarness<String, Event, FeatureRow> harness(
      ViewPlan plan,
      boolean rocksdb,
      int cachedKeys,
      OperatorSubtaskState restore,
      int subtasks,
      int subtask)
      throws Exception {
    SlicingWindowFunction function = new SlicingWindowFunction(plan);
    var h =
        new KeyedOneInputStreamOperatorTestHarness<String, Event, FeatureRow>(
            cachedKeys == 0
                ? new KeyedProcessOperator<>(function)
                : new SlicingWindowOperator(function, cachedKeys),
            e -> e.key,
            Types.STRING,
            MAX_PARALLELISM,
            subtasks,
            subtask);
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
