package io.freshet.flink.source;

import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.Event;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Sends records that failed to decode to the dead-letter output and passes events on, each with its
 * raw payload and origin, so that whichever event the window or tile operator rejects as late is
 * kept whole and under its own origin.
 *
 * <p>Which events turn out late cannot be told here: the operator's watermark may run ahead of the
 * watermark this subtask sees. After a restore the operator judges lateness against the watermark
 * it checkpointed while this subtask's watermark starts again from nothing, and an input that was
 * idle is left out of the operator's watermark until it catches up. An event passed on without its
 * payload and origin and then rejected would be stored with neither, and every such rejection of a
 * view would collapse into one row of the rejected events (their key is view, kind and origin).
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
    e.raw = d.raw();
    e.origin = d.origin();
    out.collect(e);
  }
}
