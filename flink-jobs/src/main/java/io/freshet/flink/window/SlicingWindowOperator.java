package io.freshet.flink.window;

import io.freshet.aggregate.event.Event;
import io.freshet.storage.FeatureRow;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.sorted.state.BatchExecutionKeyedStateBackend;

/**
 * Runs a {@link SlicingWindowFunction} and, when restored from state written before the function
 * kept a slice index per key, builds those indexes once from the keyed state before the first event
 * or timer. Timers and state are those of a {@link KeyedProcessOperator}, so state written by
 * either restores in the other.
 *
 * <p>In streaming mode the operator also keeps the state of up to {@code maxCachedKeys} recently
 * used keys on the heap ({@link SliceCache}): events add into decoded slices there, and the changes
 * are written to the keyed state before every snapshot of it (an operator's own snapshot runs
 * before its keyed state backend's) and when a key is evicted. The state written is the same, under
 * the same names and serializers, as without the cache. In batch mode the keyed state is on the
 * heap already and holds one key at a time, so the cache is off.
 */
public final class SlicingWindowOperator extends KeyedProcessOperator<String, Event, FeatureRow> {
  private static final long serialVersionUID = 1L;

  private final int maxCachedKeys;

  public SlicingWindowOperator(SlicingWindowFunction function) {
    this(function, SliceCache.DEFAULT_MAX_KEYS);
  }

  /** An operator holding at most {@code maxCachedKeys} keys' state on the heap (0: none). */
  public SlicingWindowOperator(SlicingWindowFunction function, int maxCachedKeys) {
    super(function);
    if (maxCachedKeys < 0) {
      throw new IllegalArgumentException("maxCachedKeys must not be negative: " + maxCachedKeys);
    }
    this.maxCachedKeys = maxCachedKeys;
  }

  @Override
  public void open() throws Exception {
    super.open();
    SlicingWindowFunction function = (SlicingWindowFunction) userFunction;
    function.indexRestoredSlices(getKeyedStateBackend());
    if (maxCachedKeys > 0 && !(getKeyedStateBackend() instanceof BatchExecutionKeyedStateBackend)) {
      function.enableCache(
          maxCachedKeys,
          new SlicingWindowFunction.KeySwitch() {
            @Override
            public String currentKey() {
              return (String) getCurrentKey();
            }

            @Override
            public void setCurrentKey(String key) {
              SlicingWindowOperator.this.setCurrentKey(key);
            }
          });
    }
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    // Before the keyed state backend's snapshot, which StreamOperatorStateHandler takes after this.
    ((SlicingWindowFunction) userFunction).writeBackAll();
    super.snapshotState(context);
  }
}
