package io.freshet.flink.compile;

import io.freshet.aggregate.event.Decoded;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Bounded out-of-orderness watermarks emitted after every good event, so that what is late in a
 * test does not depend on when a periodic watermark happens to fire.
 */
final class EveryEventWatermarks implements WatermarkGenerator<Decoded> {
  private final long bound;
  private long max = Long.MIN_VALUE;

  EveryEventWatermarks(long bound) {
    this.bound = bound;
  }

  static WatermarkStrategy<Decoded> strategy(long bound) {
    return WatermarkStrategy.<Decoded>forGenerator(ctx -> new EveryEventWatermarks(bound))
        .withTimestampAssigner((d, ts) -> d.timestampOrMin());
  }

  @Override
  public void onEvent(Decoded d, long ts, WatermarkOutput out) {
    if (d.isOk()) {
      max = Math.max(max, ts);
      out.emitWatermark(new Watermark(max - bound - 1));
    }
  }

  @Override
  public void onPeriodicEmit(WatermarkOutput out) {}
}
