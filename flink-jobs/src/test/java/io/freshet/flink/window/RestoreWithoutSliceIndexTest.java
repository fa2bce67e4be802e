package io.freshet.flink.window;

import static io.freshet.flink.window.SlicingWindowOracleTest.BOUND;
import static io.freshet.flink.window.SlicingWindowOracleTest.MIN;
import static io.freshet.flink.window.SlicingWindowOracleTest.SPECS;
import static io.freshet.flink.window.SlicingWindowOracleTest.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.aggregate.PartAggregator;
import io.freshet.aggregate.PartAggregators;
import io.freshet.aggregate.SliceCodec;
import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.Event;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.flink.window.BruteForceWindows.Ev;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * State written before the operator kept a slice index per key: slices in the {@code slices} map
 * and the timers of their first windows, no index and no mark that the keys are indexed. Restored
 * into a {@link SlicingWindowOperator}, the operator builds the indexes and its rows equal {@link
 * BruteForceWindows} over every event, those before the restore included; its own checkpoint then
 * carries the mark, so a later restore needs no rebuilding.
 */
class RestoreWithoutSliceIndexTest {

  @ParameterizedTest(name = "seed {0}, rocksdb {1}, lateness {2} min")
  @CsvSource({"11, false, 0", "12, true, 0", "13, false, 20", "14, true, 20"})
  void rows_after_a_restore_from_unindexed_state_equal_brute_force(
      long seed, boolean rocksdb, int latenessMinutes) throws Exception {
    long lateness = latenessMinutes * MIN;
    ViewPlan plan = SlicingWindowOracleTest.plan(Duration.ofMinutes(latenessMinutes));
    EventDecoder decoder = new EventDecoder(plan);
    Random r = new Random(seed);
    List<Ev> accepted = new ArrayList<>();
    long t = T0;

    // Before the restore: the slices and timers as they were written without an index.
    var before = harness(new KeyedProcessOperator<>(new UnindexedSlices(plan)), rocksdb, null);
    int firstHalf = 3_000;
    for (int i = 0; i < firstHalf; i++) {
      t += r.nextInt(20_000);
      long ts = t - (long) (r.nextDouble() * BOUND);
      Ev ev = SlicingWindowOracleTest.randomEvent(r, "user_" + r.nextInt(30), ts);
      before.processElement(event(decoder, ev, r, i), ts);
      accepted.add(ev);
    }
    OperatorSubtaskState unindexed = before.snapshot(1L, 1L);
    before.close();

    var after =
        harness(new SlicingWindowOperator(new SlicingWindowFunction(plan)), rocksdb, unindexed);
    List<FeatureRow> output = new ArrayList<>();
    long watermark = Long.MIN_VALUE;
    long maxTs = Long.MIN_VALUE;
    int n = 9_000;
    for (int i = firstHalf; i < n; i++) {
      t += r.nextInt(20_000);
      long ts = t - (long) (r.nextDouble() * BOUND);
      if (r.nextInt(40) == 0) {
        ts = t - BOUND - r.nextInt((int) ((60 + latenessMinutes) * MIN));
      }
      Ev ev = SlicingWindowOracleTest.randomEvent(r, "user_" + r.nextInt(30), ts);
      after.processElement(event(decoder, ev, r, i), ts);
      if (watermark == Long.MIN_VALUE || ts > watermark - lateness) {
        accepted.add(ev);
      }
      maxTs = Math.max(maxTs, ts);
      if (i % 50 == 49) {
        long wm = maxTs - BOUND - 1;
        if (wm > watermark) {
          watermark = wm;
          after.processWatermark(wm);
        }
      }
      if (i == 6_000) {
        // The operator's own checkpoint says its keys are indexed: the function restores without
        // the operator that rebuilds indexes.
        OperatorSubtaskState indexed = after.snapshot(2L, 2L);
        output.addAll(after.extractOutputValues());
        after.close();
        after =
            harness(new KeyedProcessOperator<>(new SlicingWindowFunction(plan)), rocksdb, indexed);
      }
    }
    after.processWatermark(Long.MAX_VALUE);
    output.addAll(after.extractOutputValues());
    if (!rocksdb) {
      assertThat(after.numKeyedStateEntries()).as("state left after the last window").isZero();
    }
    after.close();

    assertValuesInEffect(plan, output, accepted);
  }

  @ParameterizedTest(name = "rocksdb {0}")
  @CsvSource({"false", "true"})
  void the_function_alone_refuses_unindexed_state(boolean rocksdb) throws Exception {
    ViewPlan plan = SlicingWindowOracleTest.plan(Duration.ZERO);
    EventDecoder decoder = new EventDecoder(plan);
    Random r = new Random(5);
    var before = harness(new KeyedProcessOperator<>(new UnindexedSlices(plan)), rocksdb, null);
    Ev ev = SlicingWindowOracleTest.randomEvent(r, "user_1", T0);
    before.processElement(event(decoder, ev, r, 0), T0);
    OperatorSubtaskState unindexed = before.snapshot(1L, 1L);
    before.close();

    var after =
        harness(new KeyedProcessOperator<>(new SlicingWindowFunction(plan)), rocksdb, unindexed);
    Ev next = SlicingWindowOracleTest.randomEvent(r, "user_1", T0 + MIN);
    assertThatThrownBy(() -> after.processElement(event(decoder, next, r, 1), T0 + MIN))
        .hasMessageContaining("without slice indexes");
    after.close();
  }

  /** The slices an event stream leaves before any window fires, written as without an index. */
  private static final class UnindexedSlices
      extends KeyedProcessFunction<String, Event, FeatureRow> {
    private final SliceLayout layout;
    private final PartAggregator<Object, Object>[] aggregators;
    private final SliceCodec codec;
    private transient MapState<Long, byte[]> slices;

    @SuppressWarnings("unchecked")
    UnindexedSlices(ViewPlan plan) {
      this.layout = new SliceLayout(plan);
      List<FeaturePart.Aggregated> parts = plan.aggregatedParts();
      this.aggregators = new PartAggregator[parts.size()];
      for (int i = 0; i < aggregators.length; i++) {
        aggregators[i] = PartAggregators.erased(parts.get(i).aggregation());
      }
      this.codec = new SliceCodec(aggregators);
    }

    @Override
    public void open(OpenContext openContext) {
      slices =
          getRuntimeContext()
              .getMapState(
                  new MapStateDescriptor<>(
                      "slices", Types.LONG, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    }

    @Override
    public void processElement(Event e, Context ctx, Collector<FeatureRow> out) throws Exception {
      long start = layout.sliceStart(e.timestamp);
      byte[] stored = slices.get(start);
      Object[] accs = stored == null ? new Object[aggregators.length] : codec.decode(stored);
      for (int i = 0; i < accs.length; i++) {
        accs[i] =
            aggregators[i].add(
                accs[i], e.numbers[i], e.texts == null ? null : e.texts[i], e.timestamp);
      }
      slices.put(start, codec.encode(accs));
      ctx.timerService().registerEventTimeTimer(layout.firstWindowEnd(start) - 1);
    }
  }

  private static Event event(EventDecoder decoder, Ev ev, Random r, int i) {
    String json = SlicingWindowOracleTest.json(ev, r);
    Decoded d = decoder.decode(json, "events/0@" + i);
    assertThat(d.isOk()).as(d.rejection() + " " + json).isTrue();
    Event e = d.event();
    e.raw = json;
    e.origin = "events/0@" + i;
    return e;
  }

  /** For every key and window end, the latest row at or before it carries the window's value. */
  private static void assertValuesInEffect(
      ViewPlan plan, List<FeatureRow> output, List<Ev> accepted) {
    Map<String, TreeMap<Long, FeatureRow>> rows = new HashMap<>();
    for (FeatureRow row : output) {
      rows.computeIfAbsent(row.entityKey(), k -> new TreeMap<>()).put(row.featureTs(), row);
    }
    Map<String, List<Ev>> byKey = new TreeMap<>();
    for (Ev e : accepted) {
      byKey.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e);
    }
    long slide = 15 * MIN;
    int checked = 0;
    for (var entry : byKey.entrySet()) {
      List<Ev> evs = entry.getValue();
      long min = evs.stream().mapToLong(Ev::ts).min().orElseThrow();
      long max = evs.stream().mapToLong(Ev::ts).max().orElseThrow();
      TreeMap<Long, FeatureRow> keyRows = rows.getOrDefault(entry.getKey(), new TreeMap<>());
      for (long end = Math.floorDiv(min, slide) * slide;
          end <= max + 3 * slide + 120 * MIN;
          end += slide) {
        List<Object> want = BruteForceWindows.window(evs, SPECS, end);
        var inEffect = keyRows.floorEntry(end);
        if (inEffect == null) {
          assertThat(BruteForceWindows.isEmpty(want, SPECS))
              .as("%s has no row at or before %d but its window is %s", entry.getKey(), end, want)
              .isTrue();
          continue;
        }
        SlicingWindowOracleTest.assertMatches(
            plan, inEffect.getValue(), want, entry.getKey() + "@" + end);
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(1000);
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, Event, FeatureRow> harness(
      OneInputStreamOperator<Event, FeatureRow> operator,
      boolean rocksdb,
      OperatorSubtaskState restore)
      throws Exception {
    var h =
        new KeyedOneInputStreamOperatorTestHarness<String, Event, FeatureRow>(
            operator, e -> e.key, Types.STRING);
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
