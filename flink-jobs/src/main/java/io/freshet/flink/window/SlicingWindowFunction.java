package io.freshet.flink.window;

import io.freshet.aggregate.PartAggregator;
import io.freshet.aggregate.PartAggregators;
import io.freshet.aggregate.SliceCodec;
import io.freshet.flink.source.Event;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.plan.DerivedValues;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The sliced sliding-window operator: one state update per event, windows combined from slices when
 * they fire, and a row emitted only when a key's result changed.
 *
 * <p>Per key it keeps one accumulator per slice (slice = gcd of the slide and every window size)
 * and the last emitted result. An event adds into exactly one slice and schedules the end of the
 * first window holding that slice. When the watermark passes a window end {@code e}, every part is
 * merged from the slices inside its own window, derived parts are computed from those, and if the
 * result differs from the last emitted one the row {@code (key, feature_ts = e, values)} is
 * emitted, including the step to an empty window. Slices that no later window (nor a late event
 * within the allowed lateness) needs are dropped. The key's next timer is set at the next window
 * end where one of its slices enters a window, leaves one or stops being needed: between those ends
 * the result cannot change, so the key is not woken there.
 *
 * <p>An event whose time is not after the watermark is late. Within the allowed lateness it is
 * added to its slice and every window already emitted that holds the slice is emitted again, plus
 * the window after the last of them, so that the latest row at or before any window end carries
 * that window's value. Beyond the allowed lateness the event goes to {@link #LATE} whole, with its
 * raw payload, and changes nothing.
 *
 * <p>Next to the slices, each key keeps their starts in ascending order (its slice index), kept in
 * step with the slices: a start is added when an event creates a slice and removed when the slice
 * is dropped, and a key without slices has no index. A window is thus computed from one read of the
 * index and point reads of the slices inside it, never by scanning the key's slices, which on
 * RocksDB means a prefix seek across the tombstones of the slices dropped before. State written
 * before the index existed has slices and no index: {@link SlicingWindowOperator} builds the
 * indexes of every key once, when the operator is restored from such state, before any event or
 * timer; a checkpoint records that its keys are indexed.
 *
 * <p>The watermark is not part of Flink's checkpoints: after a restore it restarts from nothing
 * until the sources emit again. The operator therefore checkpoints the watermark it has seen and
 * keeps judging lateness against it after a restore, so a restart does not accept an event that the
 * uninterrupted run had already set aside as late.
 */
public final class SlicingWindowFunction extends KeyedProcessFunction<String, Event, FeatureRow>
    implements CheckpointedFunction {
  private static final long serialVersionUID = 1L;

  /** Events that arrived after their windows were final. */
  public static final OutputTag<RejectedEvent> LATE =
      new OutputTag<>("late-events", TypeInformation.of(RejectedEvent.class)) {};

  private final String view;
  private final SliceLayout layout;
  private final long lateness;
  private final PartAggregator<Object, Object>[] aggregators;
  private final int[] partIndexes;
  private final DerivedValues derivedValues;
  private final int partCount;
  private final LastEmittedCodec resultCodec;
  private final SliceCodec sliceCodec;

  /** What {@link #fire} returns when a key has no slices and an empty result: no next window. */
  private static final long NOTHING_LEFT = Long.MIN_VALUE;

  private static final long[] NO_SLICES = new long[0];

  private static MapStateDescriptor<Long, byte[]> slicesDescriptor() {
    return new MapStateDescriptor<>(
        "slices", Types.LONG, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
  }

  private transient MapState<Long, byte[]> slices;
  private transient ValueState<long[]> sliceIndex;
  private transient ValueState<byte[]> lastEmitted;
  private transient ListState<Long> watermarkState;
  private transient ListState<Boolean> indexedState;

  /** Restored from state written before the slice index: no key has its index yet. */
  private transient boolean unindexed;

  private transient long watermarkFloor = Long.MIN_VALUE;
  private transient Counter lateEvents;
  private transient LongCounter lateTotal;
  private transient Counter lateUpdates;
  private transient Counter rowsEmitted;

  public SlicingWindowFunction(ViewPlan plan) {
    this.view = plan.name();
    this.layout = new SliceLayout(plan);
    this.lateness = plan.allowedLatenessMillis();
    List<FeaturePart.Aggregated> aggregated = plan.aggregatedParts();
    @SuppressWarnings("unchecked")
    PartAggregator<Object, Object>[] byPart = new PartAggregator[aggregated.size()];
    for (int i = 0; i < byPart.length; i++) {
      byPart[i] = PartAggregators.erased(aggregated.get(i).aggregation());
    }
    this.aggregators = byPart;
    this.partIndexes = aggregated.stream().mapToInt(FeaturePart::index).toArray();
    this.derivedValues = DerivedValues.of(plan);
    this.partCount = plan.parts().size();
    this.resultCodec = new LastEmittedCodec(plan);
    this.sliceCodec = new SliceCodec(aggregators);
  }

  /** The job accumulator counting a view's events beyond the allowed lateness. */
  public static String lateAccumulatorName(String view) {
    return "freshet.late_events." + view;
  }

  @Override
  public void open(OpenContext openContext) {
    slices = getRuntimeContext().getMapState(slicesDescriptor());
    sliceIndex =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>(
                    "slice-index", PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
    lastEmitted =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>(
                    "last-emitted", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    lateEvents = getRuntimeContext().getMetricGroup().counter("freshetLateEvents");
    lateTotal = new LongCounter();
    getRuntimeContext().addAccumulator(lateAccumulatorName(view), lateTotal);
    lateUpdates = getRuntimeContext().getMetricGroup().counter("freshetLateUpdates");
    rowsEmitted = getRuntimeContext().getMetricGroup().counter("freshetRowsEmitted");
  }

  /**
   * Builds the slice index of every key that has slices, for state written before the index
   * existed; does nothing otherwise. Runs once, after {@link #open} and before the first event or
   * timer, with the operator's keyed state backend.
   */
  void indexRestoredSlices(KeyedStateBackend<String> backend) throws Exception {
    if (!unindexed) {
      return;
    }
    backend.applyToAllKeys(
        VoidNamespace.INSTANCE,
        VoidNamespaceSerializer.INSTANCE,
        slicesDescriptor(),
        (key, keySlices) -> {
          long[] starts = NO_SLICES;
          for (Long start : keySlices.keys()) {
            starts = withStart(starts, start);
          }
          if (starts.length > 0) {
            sliceIndex.update(starts);
          }
        });
    unindexed = false;
  }

  private void requireIndexed() {
    if (unindexed) {
      throw new IllegalStateException(
          "view '"
              + view
              + "': restored from state without slice indexes; run the function in a"
              + " SlicingWindowOperator, which builds them");
    }
  }

  /** The starts with {@code start} inserted, in ascending order. */
  private static long[] withStart(long[] starts, long start) {
    int at = Arrays.binarySearch(starts, start);
    if (at >= 0) {
      return starts;
    }
    int insert = -at - 1;
    long[] grown = new long[starts.length + 1];
    System.arraycopy(starts, 0, grown, 0, insert);
    grown[insert] = start;
    System.arraycopy(starts, insert, grown, insert + 1, starts.length - insert);
    return grown;
  }

  private long[] sliceStarts() throws Exception {
    long[] starts = sliceIndex.value();
    return starts == null ? NO_SLICES : starts;
  }

  @Override
  public void processElement(Event e, Context ctx, Collector<FeatureRow> out) throws Exception {
    requireIndexed();
    long watermark = Math.max(watermarkFloor, ctx.timerService().currentWatermark());
    raiseFloor(ctx.timerService().currentWatermark());
    boolean late = e.timestamp <= watermark;
    if (late && e.timestamp <= watermark - lateness) {
      lateEvents.inc();
      lateTotal.add(1);
      ctx.output(
          LATE,
          new RejectedEvent(
              view,
              RejectedEvent.Kind.LATE,
              "event time "
                  + Instant.ofEpochMilli(e.timestamp)
                  + " is not after the watermark "
                  + Instant.ofEpochMilli(watermark)
                  + (lateness > 0 ? " minus the allowed lateness" : "")
                  + ": its windows were already final",
              e.raw,
              e.origin,
              e.timestamp));
      return;
    }
    long start = layout.sliceStart(e.timestamp);
    byte[] stored = slices.get(start);
    Object[] accs;
    if (stored == null) {
      accs = new Object[aggregators.length];
      sliceIndex.update(withStart(sliceStarts(), start));
    } else {
      accs = sliceCodec.decode(stored);
    }
    String[] texts = e.texts;
    for (int i = 0; i < accs.length; i++) {
      accs[i] =
          aggregators[i].add(accs[i], e.numbers[i], texts == null ? null : texts[i], e.timestamp);
    }
    slices.put(start, sliceCodec.encode(accs));
    if (!late) {
      ctx.timerService().registerEventTimeTimer(layout.firstWindowEnd(start) - 1);
    } else {
      lateUpdates.inc();
      reemit(start, watermark, ctx.getCurrentKey(), ctx, out);
    }
  }

  /** Emits again every window already final that holds the slice, and the one after them. */
  private void reemit(
      long start, long watermark, String key, Context ctx, Collector<FeatureRow> out)
      throws Exception {
    long lastFinal = Math.floorDiv(watermark + 1, layout.slide()) * layout.slide();
    Map<Long, Object[]> decoded = decodeAll();
    long from = layout.firstWindowEnd(start);
    long to = Math.min(layout.lastWindowEnd(start), lastFinal);
    for (long end = from; end <= to + layout.slide() && end <= lastFinal; end += layout.slide()) {
      Result r = compute(end, decoded);
      out.collect(new FeatureRow(key, end, r.values));
      rowsEmitted.inc();
      if (end == lastFinal) {
        lastEmitted.update(resultCodec.encode(r.values));
      }
    }
    ctx.timerService().registerEventTimeTimer(lastFinal + layout.slide() - 1);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeatureRow> out)
      throws Exception {
    requireIndexed();
    long end = timestamp + 1;
    raiseFloor(ctx.timerService().currentWatermark());
    long next = fire(end, ctx.getCurrentKey(), out);
    if (ctx.timerService().currentWatermark() == Long.MAX_VALUE) {
      // The final watermark: in batch mode Flink ignores timers registered now, so the rest of
      // the key's windows are computed here, in order, until the key has nothing left.
      while (next != NOTHING_LEFT) {
        next = fire(next, ctx.getCurrentKey(), out);
      }
    } else if (next != NOTHING_LEFT) {
      ctx.timerService().registerEventTimeTimer(next - 1);
    }
  }

  /**
   * Computes the window ending at {@code end}, emits it if it changed, drops slices no later window
   * needs, and returns the next window end at which anything can change for the key, or {@link
   * #NOTHING_LEFT}.
   *
   * <p>A window's values depend only on which slices lie inside each part's window, so between two
   * ends at which a slice enters a window, leaves one, or stops being needed, every window holds
   * the same slices and has the same values: no row could be emitted there. The key sleeps until
   * the next such end instead of waking at every slide, which for a 1 h window sliding by 1 min is
   * one wake-up per change instead of sixty per slice.
   */
  private long fire(long end, String key, Collector<FeatureRow> out) throws Exception {
    Map<Long, Object[]> decoded = new HashMap<>();
    long[] starts = sliceStarts();
    long[] kept = new long[starts.length];
    int keptCount = 0;
    long next = Long.MAX_VALUE;
    for (long start : starts) {
      if (layout.overlaps(start, end)) {
        decoded.put(start, sliceCodec.decode(storedSlice(start)));
      }
      // A slice dropped now may still be inside this window and leave it at a later end, where
      // the result changes even though the slice is no longer stored: that end counts too.
      next = Math.min(next, layout.nextChange(start, end, lateness));
      if (!layout.neededAfter(start, end, lateness)) {
        slices.remove(start);
      } else {
        kept[keptCount++] = start;
      }
    }
    boolean anySliceLeft = keptCount > 0;
    if (!anySliceLeft) {
      if (starts.length > 0) {
        sliceIndex.clear();
      }
    } else if (keptCount < starts.length) {
      sliceIndex.update(Arrays.copyOf(kept, keptCount));
    }
    Result r = compute(end, decoded);
    byte[] encoded = resultCodec.encode(r.values);
    byte[] previous = lastEmitted.value();
    boolean changed = previous == null ? !r.empty : !Arrays.equals(previous, encoded);
    if (changed) {
      out.collect(new FeatureRow(key, end, r.values));
      rowsEmitted.inc();
    }
    if (!anySliceLeft) {
      // Every slice in the index was removed above, and the index holds every slice: the map is
      // empty, and clearing it would be a scan of the key's prefix for nothing.
      if (r.empty) {
        lastEmitted.clear();
        return NOTHING_LEFT;
      }
    }
    if (next == Long.MAX_VALUE) {
      // Nothing enters or leaves any more, yet the result is not empty: the next window is the
      // step to empty.
      next = end + layout.slide();
    }
    if (changed) {
      lastEmitted.update(encoded);
    }
    return next;
  }

  /**
   * Remembers the watermark for lateness after a restore. The final watermark is not remembered: a
   * stream ends with it, and in batch mode it passes once per key, after which the next key's
   * events start again from no watermark at all.
   */
  private void raiseFloor(long watermark) {
    if (watermark != Long.MAX_VALUE && watermark > watermarkFloor) {
      watermarkFloor = watermark;
    }
  }

  private Map<Long, Object[]> decodeAll() throws Exception {
    Map<Long, Object[]> decoded = new HashMap<>();
    for (long start : sliceStarts()) {
      decoded.put(start, sliceCodec.decode(storedSlice(start)));
    }
    return decoded;
  }

  private byte[] storedSlice(long start) throws Exception {
    byte[] stored = slices.get(start);
    if (stored == null) {
      throw new IllegalStateException(
          "view '" + view + "': the slice index holds " + start + " but no slice starts there");
    }
    return stored;
  }

  /** A window's values and whether no event contributed to any part. */
  private record Result(Object[] values, boolean empty) {}

  private Result compute(long end, Map<Long, Object[]> decoded) {
    Object[] merged = new Object[aggregators.length];
    for (Map.Entry<Long, Object[]> entry : decoded.entrySet()) {
      long start = entry.getKey();
      Object[] accs = entry.getValue();
      for (int i = 0; i < merged.length; i++) {
        if (accs[i] != null && layout.inWindow(i, start, end)) {
          merged[i] = aggregators[i].mergeInto(merged[i], accs[i]);
        }
      }
    }
    Object[] values = new Object[partCount];
    boolean empty = true;
    for (int i = 0; i < merged.length; i++) {
      empty &= merged[i] == null;
      values[partIndexes[i]] = aggregators[i].result(merged[i]);
    }
    derivedValues.fill(values);
    return new Result(values, empty);
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    watermarkState.update(List.of(watermarkFloor));
    if (!unindexed) {
      indexedState.update(List.of(true));
    }
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    watermarkState =
        context
            .getOperatorStateStore()
            .getUnionListState(new ListStateDescriptor<>("watermark", Types.LONG));
    // A union list, so that every subtask sees the mark whatever the parallelism it restores at.
    indexedState =
        context
            .getOperatorStateStore()
            .getUnionListState(new ListStateDescriptor<>("slice-index", Types.BOOLEAN));
    unindexed = context.isRestored() && !indexedState.get().iterator().hasNext();
    watermarkFloor = Long.MIN_VALUE;
    if (context.isRestored()) {
      long min = Long.MAX_VALUE;
      for (Long w : watermarkState.get()) {
        min = Math.min(min, w);
      }
      watermarkFloor = min == Long.MAX_VALUE ? Long.MIN_VALUE : min;
    }
  }
}
