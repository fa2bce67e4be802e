package io.freshet.flink.window.agg;

import java.io.IOException;
import java.io.Serializable;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The algebra of one aggregated part: a mergeable accumulator per slice, merged into a window's
 * accumulator when the window fires.
 *
 * <p>Contract: {@code add} and {@code mergeInto} may mutate and return their first argument (or
 * return a new accumulator when it is null) but never mutate {@code from}, which belongs to state.
 * Merging is associative and commutative, so a window's value does not depend on the order of its
 * slices. A null accumulator is the empty one.
 */
public interface PartAggregator extends Serializable {

  /** Adds one event's input: its number (NaN if none), its text (null if none), its time. */
  Object add(Object acc, double number, String text, long timestamp);

  /** Merges {@code from} (never modified) into {@code into} (null: start a new one). */
  Object mergeInto(Object into, Object from);

  /** The feature value of a merged accumulator; {@code acc} null means an empty window. */
  Object result(Object acc);

  /** Writes a slice accumulator (never null). */
  void write(DataOutputView out, Object acc) throws IOException;

  /** Reads what {@link #write} wrote. */
  Object read(DataInputView in) throws IOException;
}
