package io.freshet.flink.window;

import io.freshet.aggregate.PartAggregator;
import io.freshet.aggregate.PartAggregators;
import io.freshet.aggregate.SliceCodec;
import io.freshet.aggregate.event.Event;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.Tile;
import io.freshet.storage.Varints;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The operator of a request-time view: it folds each entity's events into tiles and emits every
 * tile that changed, once, before each checkpoint barrier, so that the tile sink commits it with
 * that checkpoint.
 *
 * <p>Per key it keeps one tile per tile start in a {@link MapState}; the value is the tile's
 * version (the number of events folded into it, an unsigned varint) followed by the slice bytes of
 * {@link SliceCodec}. An accepted event updates exactly one tile, once: it adds into the
 * accumulators, bumps the version and marks (key, tile start) dirty in the operator's memory. In
 * {@link #prepareSnapshotPreBarrier} every dirty tile is read and emitted as a {@link Tile}, so
 * everything emitted before barrier N belongs to checkpoint N's committables. The dirty set is not
 * checkpointed: after a restore, the replayed events mark their tiles dirty again, and the state
 * gives them the same versions as before.
 *
 * <p>Lateness is judged as by {@link SlicingWindowFunction}, with the same message: an event whose
 * time is at or before the watermark minus the allowed lateness goes whole to {@link
 * SlicingWindowFunction#LATE} and changes nothing; a late event within the allowed lateness updates
 * its tile like any other. The watermark seen is kept in operator state, so a restored job keeps
 * judging lateness against it until the sources emit again.
 *
 * <p>A tile leaves state through an event-time timer once the watermark reaches {@code start + tile
 * + maxWindow + allowedLateness - 1}: no event that can still be accepted falls into it. A dirty
 * tile is emitted before it is retired. At the final watermark (the end of a bounded input, and in
 * batch execution each key's end, where Flink fires the key's timers and there are no barriers) the
 * key's dirty tiles are emitted from its timers; batch execution only ever touches the current key.
 */
public final class TileOperator extends AbstractStreamOperator<Tile>
    implements OneInputStreamOperator<Event, Tile>, Triggerable<String, VoidNamespace> {
  private static final long serialVersionUID = 1L;

  private final String view;
  private final long tile;
  private final long lateness;
  private final long retireAfter;
  private final PartAggregator<Object, Object>[] aggregators;
  private final SliceCodec sliceCodec;

  private transient MapState<Long, byte[]> tiles;
  private transient InternalTimerService<VoidNamespace> timers;
  private transient ListState<Long> watermarkState;
  private transient long watermarkFloor;
  private transient Map<String, TreeSet<Long>> dirty;
  private transient ByteArrayOutputStream buffer;
  private transient Counter lateEvents;
  private transient LongCounter lateTotal;
  private transient Counter lateUpdates;
  private transient Counter tilesEmitted;

  public TileOperator(ViewPlan plan) {
    if (!plan.requestTime()) {
      throw new IllegalArgumentException(
          "view '"
              + plan.name()
              + "' is served at window ends; its windows run in SlicingWindowFunction, not in"
              + " tiles");
    }
    this.view = plan.name();
    this.tile = plan.tileMillis();
    this.lateness = plan.allowedLatenessMillis();
    this.retireAfter = tile + plan.maxWindowMillis() + lateness;
    List<FeaturePart.Aggregated> aggregated = plan.aggregatedParts();
    @SuppressWarnings("unchecked")
    PartAggregator<Object, Object>[] byPart = new PartAggregator[aggregated.size()];
    for (int i = 0; i < byPart.length; i++) {
      byPart[i] = PartAggregators.erased(aggregated.get(i).aggregation());
    }
    this.aggregators = byPart;
    this.sliceCodec = new SliceCodec(byPart);
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    watermarkState =
        context
            .getOperatorStateStore()
            .getUnionListState(new ListStateDescriptor<>("watermark", Types.LONG));
    watermarkFloor = Long.MIN_VALUE;
    if (context.isRestored()) {
      long min = Long.MAX_VALUE;
      for (Long w : watermarkState.get()) {
        min = Math.min(min, w);
      }
      watermarkFloor = min == Long.MAX_VALUE ? Long.MIN_VALUE : min;
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    tiles =
        getPartitionedState(
            new MapStateDescriptor<>(
                "tiles", Types.LONG, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    timers = getInternalTimerService("tile-retire", VoidNamespaceSerializer.INSTANCE, this);
    dirty = new HashMap<>();
    buffer = new ByteArrayOutputStream(64);
    lateEvents = getMetricGroup().counter("freshetLateEvents");
    lateTotal = new LongCounter();
    getRuntimeContext().addAccumulator(SlicingWindowFunction.lateAccumulatorName(view), lateTotal);
    lateUpdates = getMetricGroup().counter("freshetLateUpdates");
    tilesEmitted = getMetricGroup().counter("freshetTilesEmitted");
  }

  /** The start of the tile holding {@code timestamp}. */
  long tileStart(long timestamp) {
    return Math.floorDiv(timestamp, tile) * tile;
  }

  @Override
  public void processElement(StreamRecord<Event> element) throws Exception {
    Event e = element.getValue();
    long current = timers.currentWatermark();
    long watermark = Math.max(watermarkFloor, current);
    raiseFloor(current);
    boolean late = e.timestamp <= watermark;
    if (late && e.timestamp <= watermark - lateness) {
      lateEvents.inc();
      lateTotal.add(1);
      output.collect(
          SlicingWindowFunction.LATE,
          new StreamRecord<>(
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
                  e.timestamp),
              e.timestamp));
      return;
    }
    if (late) {
      lateUpdates.inc();
    }
    long start = tileStart(e.timestamp);
    byte[] stored = tiles.get(start);
    long version = 0;
    Object[] accs;
    if (stored == null) {
      accs = new Object[aggregators.length];
    } else {
      int[] at = {0};
      version = Varints.read(stored, at);
      accs = sliceCodec.decode(Arrays.copyOfRange(stored, at[0], stored.length));
    }
    String[] texts = e.texts;
    for (int i = 0; i < accs.length; i++) {
      accs[i] =
          aggregators[i].add(accs[i], e.numbers[i], texts == null ? null : texts[i], e.timestamp);
    }
    tiles.put(start, encode(version + 1, sliceCodec.encode(accs)));
    if (stored == null) {
      // One timer per tile; a tile restored from state brings its timer along.
      timers.registerEventTimeTimer(VoidNamespace.INSTANCE, start + retireAfter - 1);
    }
    dirty.computeIfAbsent(e.key, k -> new TreeSet<>()).add(start);
  }

  /** The state value of a tile: its version as an unsigned varint, then the slice bytes. */
  private byte[] encode(long version, byte[] slice) {
    buffer.reset();
    Varints.write(buffer, version);
    buffer.write(slice, 0, slice.length);
    return buffer.toByteArray();
  }

  /** The tile of a state value. */
  private static Tile decode(String key, long start, byte[] stored) {
    int[] at = {0};
    long version = Varints.read(stored, at);
    return new Tile(key, start, version, Arrays.copyOfRange(stored, at[0], stored.length));
  }

  /**
   * Emits every tile changed since the last barrier, then forgets them: the tiles reach the sink
   * ahead of the barrier and belong to this checkpoint.
   */
  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    if (dirty.isEmpty()) {
      return;
    }
    for (Map.Entry<String, TreeSet<Long>> entry : dirty.entrySet()) {
      setCurrentKey(entry.getKey());
      for (long start : entry.getValue()) {
        emit(entry.getKey(), start);
      }
    }
    dirty = new HashMap<>();
  }

  private void emit(String key, long start) throws Exception {
    byte[] stored = tiles.get(start);
    if (stored != null) {
      output.collect(new StreamRecord<>(decode(key, start, stored)));
      tilesEmitted.inc();
    }
  }

  /** Emits the current key's dirty tiles (all of them, or the one starting at {@code only}). */
  private void emitDirty(String key, Long only) throws Exception {
    TreeSet<Long> starts = dirty.get(key);
    if (starts == null) {
      return;
    }
    if (only == null) {
      for (long start : starts) {
        emit(key, start);
      }
      dirty.remove(key);
    } else if (starts.remove(only)) {
      emit(key, only);
      if (starts.isEmpty()) {
        dirty.remove(key);
      }
    }
  }

  @Override
  public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
    String key = timer.getKey();
    long watermark = timers.currentWatermark();
    raiseFloor(watermark);
    if (watermark == Long.MAX_VALUE) {
      // The final watermark: no barrier follows in batch execution, so the key's changes go out
      // now, while its state is at hand.
      emitDirty(key, null);
    }
    long start = timer.getTimestamp() + 1 - retireAfter;
    emitDirty(key, start);
    tiles.remove(start);
  }

  @Override
  public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) {
    // No processing-time timers.
  }

  /** The final watermark is not remembered; see {@link SlicingWindowFunction}. */
  private void raiseFloor(long watermark) {
    if (watermark != Long.MAX_VALUE && watermark > watermarkFloor) {
      watermarkFloor = watermark;
    }
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    watermarkState.update(List.of(watermarkFloor));
  }

  /** Tiles changed since the last barrier, for tests. */
  int dirtyTiles() {
    int n = 0;
    for (TreeSet<Long> s : dirty.values()) {
      n += s.size();
    }
    return n;
  }
}
