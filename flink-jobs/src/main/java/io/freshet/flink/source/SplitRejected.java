package io.freshet.flink.source;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Sends records that failed to decode to the dead-letter output and passes events on. An event
 * whose time is not after the local watermark keeps its raw payload, since only such an event can
 * turn out late downstream (the operator's watermark never runs ahead of this one).
 */
public final class SplitRejected extends ProcessFunction<Decoded, Event> {
  private static final long serialVersionUID = 1L;

  /** The dead-letter output. */
  public static final OutputTag<RejectedEvent> DEAD_LETTERS =
      new OutputTag<>(
          "dead-letters",
          org.apache.flink.api.common.typeinfo.TypeInformation.of(RejectedEvent.class)) {};

  private final String view;
  private transient Counter deadLetters;
  private transient LongCounter deadLetterTotal;

  public SplitRejected(String view) {
    this.view = view;
  }

  /** The job accumulator counting a view's dead letters. */
  public static String accumulatorName(String view) {
    return "freshet.dead_letters." + view;
  }

  @Override
  public void open(OpenContext openContext) {
    deadLetters = getRuntimeContext().getMetricGroup().counter("freshetDeadLetters");
    deadLetterTotal = new LongCounter();
    getRuntimeContext().addAccumulator(accumulatorName(view), deadLetterTotal);
  }

  @Override
  public void processElement(Decoded d, Context ctx, Collector<Event> out) {
    if (!d.isOk()) {
      deadLetters.inc();
      deadLetterTotal.add(1);
      ctx.output(
          DEAD_LETTERS,
          new RejectedEvent(
              view, RejectedEvent.Kind.DEAD_LETTER, d.rejection(), d.raw(), d.origin(), null));
      return;
    }
    Event e = d.event();
    if (e.timestamp <= ctx.timerService().currentWatermark()) {
      e.raw = d.raw();
      e.origin = d.origin();
    }
    out.collect(e);
  }
}
