package io.freshet.flink.window;

import io.freshet.dsl.FeatureType;
import io.freshet.flink.source.Event;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.time.Instant;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
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
 * combined from the slices inside its own window; if the result differs from the last emitted one
 * the row {@code (key, feature_ts = e, values)} is emitted, including the step to an empty window.
 * Slices that no later window needs are dropped, and the next window end is scheduled while the key
 * still has slices or a non-empty result.
 *
 * <p>An event whose time is not after the current watermark arrives after its windows were final:
 * it goes to {@link #LATE} whole, with its raw payload, and changes nothing.
 *
 * <p>The watermark is not part of Flink's checkpoints: after a restore it restarts from nothing
 * until the sources emit again. The operator therefore checkpoints the watermark it has seen and
 * keeps judging lateness against it after a restore, so a restart does not accept an event that the
 * uninterrupted run had already set aside as late.
 *
 * <p>The accumulator of a slice is a {@code double[]} with one additive cell per part: the
 * aggregations of this version (counts and sums) are commutative monoids under addition.
 */
public final class SlicingWindowFunction extends KeyedProcessFunction<String, Event, FeatureRow>
    implements CheckpointedFunction {
  private static final long serialVersionUID = 1L;

  /** Events that arrived after their windows were final. */
  public static final OutputTag<RejectedEvent> LATE =
      new OutputTag<>("late-events", TypeInformation.of(RejectedEvent.class)) {};

  private final String view;
  private final SliceLayout layout;
  private final FeatureType[] types;

  private transient MapState<Long, double[]> slices;
  private transient ValueState<double[]> lastEmitted;
  private transient ListState<Long> watermarkState;
  private transient long watermarkFloor = Long.MIN_VALUE;
  private transient Counter lateEvents;
  private transient Counter rowsEmitted;

  public SlicingWindowFunction(ViewPlan plan) {
    this.view = plan.name();
    this.layout = new SliceLayout(plan);
    List<FeaturePart> parts = plan.parts();
    this.types = parts.stream().map(FeaturePart::type).toArray(FeatureType[]::new);
  }

  @Override
  public void open(OpenContext openContext) {
    slices =
        getRuntimeContext()
            .getMapState(
                new MapStateDescriptor<>(
                    "slices", Types.LONG, PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO));
    lastEmitted =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>(
                    "last-emitted", PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO));
    lateEvents = getRuntimeContext().getMetricGroup().counter("freshetLateEvents");
    rowsEmitted = getRuntimeContext().getMetricGroup().counter("freshetRowsEmitted");
  }

  @Override
  public void processElement(Event e, Context ctx, Collector<FeatureRow> out) throws Exception {
    long watermark = Math.max(watermarkFloor, ctx.timerService().currentWatermark());
    watermarkFloor = watermark;
    if (e.timestamp <= watermark) {
      lateEvents.inc();
      ctx.output(
          LATE,
          new RejectedEvent(
              view,
              RejectedEvent.Kind.LATE,
              "event time "
                  + Instant.ofEpochMilli(e.timestamp)
                  + " is not after the watermark "
                  + Instant.ofEpochMilli(watermark)
                  + ": its windows were already final",
              e.raw,
              e.origin,
              e.timestamp));
      return;
    }
    long start = layout.sliceStart(e.timestamp);
    double[] acc = slices.get(start);
    if (acc == null) {
      acc = new double[e.inputs.length];
    }
    for (int i = 0; i < acc.length; i++) {
      acc[i] += e.inputs[i];
    }
    slices.put(start, acc);
    ctx.timerService().registerEventTimeTimer(layout.firstWindowEnd(start) - 1);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeatureRow> out)
      throws Exception {
    long end = timestamp + 1;
    watermarkFloor = Math.max(watermarkFloor, ctx.timerService().currentWatermark());
    double[] result = new double[types.length];
    boolean anySliceLeft = false;
    Iterator<Map.Entry<Long, double[]>> it = slices.iterator();
    while (it.hasNext()) {
      Map.Entry<Long, double[]> entry = it.next();
      long start = entry.getKey();
      double[] acc = entry.getValue();
      for (int i = 0; i < result.length; i++) {
        if (layout.inWindow(i, start, end)) {
          result[i] += acc[i];
        }
      }
      if (!layout.neededAfter(start, end)) {
        it.remove();
      } else {
        anySliceLeft = true;
      }
    }
    double[] previous = lastEmitted.value();
    boolean empty = isEmpty(result);
    boolean changed = previous == null ? !empty : !Arrays.equals(previous, result);
    if (changed) {
      out.collect(new FeatureRow(ctx.getCurrentKey(), end, toValues(result)));
      rowsEmitted.inc();
    }
    if (!anySliceLeft) {
      slices.clear();
      if (empty) {
        lastEmitted.clear();
        return;
      }
    }
    if (changed) {
      lastEmitted.update(result);
    }
    ctx.timerService().registerEventTimeTimer(end + layout.slide() - 1);
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    watermarkState.update(List.of(watermarkFloor));
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
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

  private static boolean isEmpty(double[] result) {
    for (double v : result) {
      if (v != 0) {
        return false;
      }
    }
    return true;
  }

  private Object[] toValues(double[] result) {
    Object[] values = new Object[result.length];
    for (int i = 0; i < result.length; i++) {
      values[i] = types[i] == FeatureType.INT64 ? (Object) (long) result[i] : result[i];
    }
    return values;
  }
}
