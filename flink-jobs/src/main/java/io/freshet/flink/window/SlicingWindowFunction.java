package io.freshet.flink.window;

import io.freshet.aggregate.PartAggregator;
import io.freshet.aggregate.PartAggregators;
import io.freshet.aggregate.SliceCodec;
import io.freshet.aggregate.event.Event;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.plan.DerivedValues;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.time.Instant;
import java.util.ArrayList;
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
 * the window after the last of them (with a lifetime part, which holds the slice in every later
 * window, every window already emitted from the first that holds it), so that the latest row at or
 * before any window end carries that window's value. Beyond the allowed lateness the event goes to
 * {@link #LATE} whole, with its raw payload, and changes nothing.
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
 * <p>A lifetime part's window ending at {@code e} holds every slice before {@code e}. Such parts
 * need no slice kept longer than the finite parts do: when a slice is dropped, its accumulators of
 * the lifetime parts are first folded into the key's one lifetime accumulator per part (kept next
 * to the slices in its own state, written back with them), and a window's lifetime value is that
 * accumulator merged with the key's slices before {@code e}. A key whose slices are all folded and
 * whose finite windows are empty is not woken again until its next event: its values cannot change
 * before. Without a TTL on the view the lifetime accumulators are never cleared; with one, a key's
 * lifetime state (and its last emitted result) is cleared, without a row, at the first window end
 * at or after the end of its last event's slice plus the TTL, so that a later event starts the
 * key's lifetime afresh. This depends on event time only, so a backfill (which sees every event of
 * a key before its first window fires) clears at the same ends as the stream.
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

  /** The TTL after which a key's lifetime state is cleared, or -1 to keep it forever. */
  private final long lifetimeTtl;

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
  private transient ValueState<byte[]> foldedState;
  private transient ListState<Long> watermarkState;
  private transient ListState<Boolean> indexedState;

  /** Restored from state written before the slice index: no key has its index yet. */
  private transient boolean unindexed;

  /**
   * The heap copy of recently used keys' state, or null to read and write the keyed state directly
   * (as when run in a plain {@link org.apache.flink.streaming.api.operators.KeyedProcessOperator},
   * or in batch mode). Only {@link SlicingWindowOperator} enables it: writing a key's entry back
   * needs the key set on the keyed state, which only the operator can do.
   */
  private transient SliceCache cache;

  private transient KeySwitch keySwitch;

  /** Sets and reads the keyed state's current key, for writing back another key's entry. */
  interface KeySwitch {
    String currentKey();

    void setCurrentKey(String key);
  }

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
    this.lifetimeTtl = layout.hasLifetime() && plan.view().expires() ? plan.ttl().toMillis() : -1;
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
    foldedState =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>(
                    "lifetime", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
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

  /** Holds up to {@code maxKeys} keys' state on the heap from now on; see {@link SliceCache}. */
  void enableCache(int maxKeys, KeySwitch keys) {
    this.cache = new SliceCache(maxKeys);
    this.keySwitch = keys;
  }

  /** The current key's cache entry, read from state when not cached; null without a cache. */
  private SliceCache.Entry entry(String key) throws Exception {
    if (cache == null) {
      return null;
    }
    SliceCache.Entry en = cache.get(key);
    if (en == null) {
      en = new SliceCache.Entry(sliceStarts());
      cache.put(key, en);
    }
    return en;
  }

  private long[] sliceStarts(SliceCache.Entry en) throws Exception {
    return en == null ? sliceStarts() : en.starts;
  }

  /** The decoded slice at {@code start}, which the index holds; never to be modified. */
  private Object[] slice(SliceCache.Entry en, long start) throws Exception {
    if (en == null) {
      return sliceCodec.decode(storedSlice(start));
    }
    SliceCache.Slice s = en.slices.get(start);
    if (s == null) {
      s = new SliceCache.Slice(sliceCodec.decode(storedSlice(start)), true);
      en.slices.put(start, s);
    }
    return s.accs;
  }

  private void dropSlice(SliceCache.Entry en, long start) throws Exception {
    if (en == null) {
      slices.remove(start);
      return;
    }
    SliceCache.Slice s = en.slices.remove(start);
    if (s == null || s.inState) {
      slices.remove(start);
    }
  }

  /** Sets the key's slice index; empty clears it. */
  private void setStarts(SliceCache.Entry en, long[] starts) throws Exception {
    if (en == null) {
      if (starts.length == 0) {
        sliceIndex.clear();
      } else {
        sliceIndex.update(starts);
      }
    } else {
      en.starts = starts;
      en.startsDirty = true;
    }
  }

  private byte[] lastEmitted(SliceCache.Entry en) throws Exception {
    if (en == null) {
      return lastEmitted.value();
    }
    if (!en.lastLoaded) {
      en.lastEmitted = lastEmitted.value();
      en.lastLoaded = true;
    }
    return en.lastEmitted;
  }

  /** Sets the key's last emitted result; null clears it. */
  private void setLastEmitted(SliceCache.Entry en, byte[] bytes) throws Exception {
    if (en == null) {
      if (bytes == null) {
        lastEmitted.clear();
      } else {
        lastEmitted.update(bytes);
      }
    } else {
      en.lastEmitted = bytes;
      en.lastLoaded = true;
      en.lastDirty = true;
    }
  }

  /** The key's folded lifetime accumulators, or null when it has none. */
  private SliceCache.Folded folded(SliceCache.Entry en) throws Exception {
    if (en == null) {
      return decodeFolded(foldedState.value());
    }
    if (!en.foldedLoaded) {
      en.folded = decodeFolded(foldedState.value());
      en.foldedLoaded = true;
    }
    return en.folded;
  }

  /** Sets the key's folded lifetime accumulators; null clears them. */
  private void setFolded(SliceCache.Entry en, SliceCache.Folded folded) throws Exception {
    if (en == null) {
      if (folded == null) {
        foldedState.clear();
      } else {
        foldedState.update(encodeFolded(folded));
      }
    } else {
      en.folded = folded;
      en.foldedLoaded = true;
      en.foldedDirty = true;
    }
  }

  /** The state form: the end of the latest folded slice (8 bytes), then the slice bytes. */
  private byte[] encodeFolded(SliceCache.Folded folded) throws Exception {
    byte[] accs = sliceCodec.encode(folded.accs);
    return java.nio.ByteBuffer.allocate(8 + accs.length).putLong(folded.until).put(accs).array();
  }

  private SliceCache.Folded decodeFolded(byte[] bytes) throws Exception {
    if (bytes == null) {
      return null;
    }
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
    long until = b.getLong();
    return new SliceCache.Folded(
        sliceCodec.decode(Arrays.copyOfRange(bytes, 8, bytes.length)), until);
  }

  /** Registers an event-time timer unless the cached key is known to have it already. */
  private static void registerTimer(
      SliceCache.Entry en, org.apache.flink.streaming.api.TimerService timers, long time) {
    if (en == null || en.addTimer(time)) {
      timers.registerEventTimeTimer(time);
    }
  }

  /** Writes an entry's changes to the keyed state, whose current key must be the entry's. */
  private void writeBack(SliceCache.Entry en) throws Exception {
    for (Map.Entry<Long, SliceCache.Slice> e : en.slices.entrySet()) {
      SliceCache.Slice s = e.getValue();
      if (s.dirty) {
        slices.put(e.getKey(), sliceCodec.encode(s.accs));
        s.dirty = false;
        s.inState = true;
      }
    }
    if (en.startsDirty) {
      if (en.starts.length == 0) {
        sliceIndex.clear();
      } else {
        sliceIndex.update(en.starts);
      }
      en.startsDirty = false;
    }
    if (en.lastDirty) {
      if (en.lastEmitted == null) {
        lastEmitted.clear();
      } else {
        lastEmitted.update(en.lastEmitted);
      }
      en.lastDirty = false;
    }
    if (en.foldedDirty) {
      if (en.folded == null) {
        foldedState.clear();
      } else {
        foldedState.update(encodeFolded(en.folded));
      }
      en.foldedDirty = false;
    }
  }

  /** Writes back and drops least recently used keys until the cache is within its bound. */
  private void evictOverflow(String currentKey) throws Exception {
    if (cache == null || !cache.overflowing()) {
      return;
    }
    try {
      while (cache.overflowing()) {
        Map.Entry<String, SliceCache.Entry> eldest = cache.removeEldest();
        if (eldest.getValue().dirty()) {
          keySwitch.setCurrentKey(eldest.getKey());
          writeBack(eldest.getValue());
        }
      }
    } finally {
      keySwitch.setCurrentKey(currentKey);
    }
  }

  /**
   * Writes every cached key's changes to the keyed state, so that the state holds everything; runs
   * before the keyed state is snapshotted. The entries stay cached.
   */
  void writeBackAll() throws Exception {
    if (cache == null) {
      return;
    }
    String previous = keySwitch.currentKey();
    boolean switched = false;
    for (Map.Entry<String, SliceCache.Entry> e : cache.all()) {
      if (e.getValue().dirty()) {
        keySwitch.setCurrentKey(e.getKey());
        switched = true;
        writeBack(e.getValue());
      }
    }
    if (switched && previous != null) {
      keySwitch.setCurrentKey(previous);
    }
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
    String key = ctx.getCurrentKey();
    SliceCache.Entry en = entry(key);
    if (en == null) {
      byte[] stored = slices.get(start);
      Object[] accs;
      if (stored == null) {
        accs = new Object[aggregators.length];
        sliceIndex.update(withStart(sliceStarts(), start));
      } else {
        accs = sliceCodec.decode(stored);
      }
      add(accs, e);
      slices.put(start, sliceCodec.encode(accs));
    } else {
      SliceCache.Slice s = en.slices.get(start);
      if (s == null) {
        if (Arrays.binarySearch(en.starts, start) >= 0) {
          s = new SliceCache.Slice(sliceCodec.decode(storedSlice(start)), true);
        } else {
          s = new SliceCache.Slice(new Object[aggregators.length], false);
          en.starts = withStart(en.starts, start);
          en.startsDirty = true;
        }
        en.slices.put(start, s);
      }
      add(s.accs, e);
      s.dirty = true;
    }
    if (!late) {
      registerTimer(en, ctx.timerService(), layout.firstWindowEnd(start) - 1);
    } else {
      lateUpdates.inc();
      reemit(en, start, watermark, key, ctx, out);
    }
    evictOverflow(key);
  }

  private void add(Object[] accs, Event e) {
    String[] texts = e.texts;
    for (int i = 0; i < accs.length; i++) {
      accs[i] =
          aggregators[i].add(accs[i], e.numbers[i], texts == null ? null : texts[i], e.timestamp);
    }
  }

  /**
   * Emits again every window already final that holds the slice, and the one after them; with a
   * lifetime part, every window already final from the first that holds the slice.
   */
  private void reemit(
      SliceCache.Entry en,
      long start,
      long watermark,
      String key,
      Context ctx,
      Collector<FeatureRow> out)
      throws Exception {
    long lastFinal = Math.floorDiv(watermark + 1, layout.slide()) * layout.slide();
    Map<Long, Object[]> decoded = decodeAll(en);
    SliceCache.Folded folded = layout.hasLifetime() ? folded(en) : null;
    long from = layout.firstWindowEnd(start);
    // A lifetime part holds the slice in every later window: all of them are emitted again.
    long to = layout.hasLifetime() ? lastFinal : Math.min(layout.lastWindowEnd(start), lastFinal);
    for (long end = from; end <= to + layout.slide() && end <= lastFinal; end += layout.slide()) {
      Result r = compute(end, decoded, folded);
      out.collect(new FeatureRow(key, end, r.values));
      rowsEmitted.inc();
      if (end == lastFinal) {
        setLastEmitted(en, resultCodec.encode(r.values));
      }
    }
    registerTimer(en, ctx.timerService(), lastFinal + layout.slide() - 1);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeatureRow> out)
      throws Exception {
    requireIndexed();
    long end = timestamp + 1;
    raiseFloor(ctx.timerService().currentWatermark());
    String key = ctx.getCurrentKey();
    SliceCache.Entry en = entry(key);
    if (en != null) {
      en.removeTimer(timestamp);
    }
    long next = fire(en, end, key, out);
    if (ctx.timerService().currentWatermark() == Long.MAX_VALUE) {
      // The final watermark: in batch mode Flink ignores timers registered now, so the rest of
      // the key's windows are computed here, in order, until the key has nothing left.
      while (next != NOTHING_LEFT) {
        next = fire(en, next, key, out);
      }
    } else if (next != NOTHING_LEFT) {
      registerTimer(en, ctx.timerService(), next - 1);
    }
    evictOverflow(key);
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
  private long fire(SliceCache.Entry en, long end, String key, Collector<FeatureRow> out)
      throws Exception {
    Map<Long, Object[]> decoded = new HashMap<>();
    long[] starts = sliceStarts(en);
    boolean lifetime = layout.hasLifetime();
    SliceCache.Folded folded = lifetime ? folded(en) : null;
    long[] kept = new long[starts.length];
    int keptCount = 0;
    long next = Long.MAX_VALUE;
    List<Object[]> dropped = null;
    long droppedUntil = Long.MIN_VALUE;
    long seen = folded == null ? Long.MIN_VALUE : folded.until;
    for (long start : starts) {
      if (start + layout.slice() <= end) {
        seen = Math.max(seen, start + layout.slice());
      }
      if (layout.overlaps(start, end) || (lifetime && start + layout.slice() <= end)) {
        decoded.put(start, slice(en, start));
      }
      // A slice dropped now may still be inside this window and leave it at a later end, where
      // the result changes even though the slice is no longer stored: that end counts too.
      next = Math.min(next, layout.nextChange(start, end, lateness));
      if (!layout.neededAfter(start, end, lateness)) {
        if (lifetime) {
          // A slice no longer needed ends before this window end, so it was decoded above.
          Object[] accs = decoded.get(start);
          if (dropped == null) {
            dropped = new ArrayList<>();
          }
          dropped.add(accs != null ? accs : slice(en, start));
          droppedUntil = Math.max(droppedUntil, start + layout.slice());
        }
        dropSlice(en, start);
      } else {
        kept[keptCount++] = start;
      }
    }
    boolean anySliceLeft = keptCount > 0;
    if (!anySliceLeft) {
      if (starts.length > 0) {
        setStarts(en, NO_SLICES);
      }
    } else if (keptCount < starts.length) {
      setStarts(en, Arrays.copyOf(kept, keptCount));
    }
    Result r = compute(end, decoded, folded);
    if (dropped != null) {
      setFolded(en, fold(folded, dropped, droppedUntil));
    }
    if (lifetimeTtl >= 0 && seen != Long.MIN_VALUE) {
      if (end - seen >= lifetimeTtl) {
        // No event for the TTL: the key's lifetime is over, without a row. The view's TTL is at
        // least its longest window plus the lateness and a slide, so every slice before this end
        // was folded just now, and the finite windows are empty.
        setFolded(en, null);
        if (lastEmitted(en) != null) {
          setLastEmitted(en, null);
        }
        return anySliceLeft ? next : NOTHING_LEFT;
      }
      // The end at which the key's lifetime expires unless an event comes first.
      next = Math.min(next, layout.ceilToSlide(seen + lifetimeTtl));
    }
    byte[] encoded = resultCodec.encode(r.values);
    byte[] previous = lastEmitted(en);
    boolean changed = previous == null ? !r.empty : !Arrays.equals(previous, encoded);
    if (changed) {
      out.collect(new FeatureRow(key, end, r.values));
      rowsEmitted.inc();
    }
    if (!anySliceLeft && r.finiteEmpty && !r.empty) {
      // Only lifetime values are left: they stay as they are until the key's next event, which
      // sets its own timer. With a TTL, the key wakes once more when its lifetime state expires.
      if (changed) {
        setLastEmitted(en, encoded);
      }
      return lifetimeTtl < 0 ? NOTHING_LEFT : next;
    }
    if (!anySliceLeft) {
      // Every slice in the index was removed above, and the index holds every slice: the map is
      // empty, and clearing it would be a scan of the key's prefix for nothing.
      if (r.empty) {
        if (previous != null) {
          setLastEmitted(en, null);
        }
        return NOTHING_LEFT;
      }
    }
    if (next == Long.MAX_VALUE) {
      // Nothing enters or leaves any more, yet the result is not empty: the next window is the
      // step to empty.
      next = end + layout.slide();
    }
    if (changed) {
      setLastEmitted(en, encoded);
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

  private Map<Long, Object[]> decodeAll(SliceCache.Entry en) throws Exception {
    Map<Long, Object[]> decoded = new HashMap<>();
    for (long start : sliceStarts(en)) {
      decoded.put(start, slice(en, start));
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

  /** The folded accumulators with the dropped slices' lifetime parts folded in. */
  private SliceCache.Folded fold(SliceCache.Folded folded, List<Object[]> dropped, long until) {
    SliceCache.Folded f =
        folded == null ? new SliceCache.Folded(new Object[aggregators.length], until) : folded;
    f.until = Math.max(f.until, until);
    for (Object[] accs : dropped) {
      for (int i = 0; i < accs.length; i++) {
        if (accs[i] != null && layout.isLifetime(i)) {
          f.accs[i] = aggregators[i].fold(f.accs[i], accs[i]);
        }
      }
    }
    return f;
  }

  /**
   * A window's values, whether no event contributed to any part, and whether none contributed to
   * any part with a finite window.
   */
  private record Result(Object[] values, boolean empty, boolean finiteEmpty) {}

  private Result compute(long end, Map<Long, Object[]> decoded, SliceCache.Folded folded) {
    Object[] merged = new Object[aggregators.length];
    if (folded != null) {
      for (int i = 0; i < merged.length; i++) {
        if (folded.accs[i] != null) {
          merged[i] = aggregators[i].mergeInto(null, folded.accs[i]);
        }
      }
    }
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
    boolean finiteEmpty = true;
    for (int i = 0; i < merged.length; i++) {
      empty &= merged[i] == null;
      finiteEmpty &= merged[i] == null || layout.isLifetime(i);
      values[partIndexes[i]] = aggregators[i].result(merged[i]);
    }
    derivedValues.fill(values);
    return new Result(values, empty, finiteEmpty);
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
