package io.freshet.flink.window;

import io.freshet.flink.source.Event;
import io.freshet.storage.FeatureRow;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;

/**
 * Runs a {@link SlicingWindowFunction} and, when restored from state written before the function
 * kept a slice index per key, builds those indexes once from the keyed state before the first event
 * or timer. Timers and state are those of a {@link KeyedProcessOperator}, so state written by
 * either restores in the other.
 */
public final class SlicingWindowOperator extends KeyedProcessOperator<String, Event, FeatureRow> {
  private static final long serialVersionUID = 1L;

  public SlicingWindowOperator(SlicingWindowFunction function) {
    super(function);
  }

  @Override
  public void open() throws Exception {
    super.open();
    ((SlicingWindowFunction) userFunction).indexRestoredSlices(getKeyedStateBackend());
  }
}
