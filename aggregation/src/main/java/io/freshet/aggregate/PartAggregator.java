package io.freshet.aggregate;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.Serializable;

/**
 * The algebra of one aggregated part: a mergeable accumulator per slice, merged into a window's
 * accumulator when the window fires.
 *
 * <p>Contract: {@code add} and {@code mergeInto} may mutate and return their first argument (or
 * return a new accumulator when it is null) but never mutate {@code from}, which belongs to state.
 * Merging is associative and commutative, so a window's value does not depend on the order of its
 * slices. A null accumulator is the empty one.
 *
 * @param <A> a slice's accumulator, the one kept in state
 * @param <M> a window's merged accumulator; the same as {@code A} for every kind but the
 *     approximate distinct count, whose slices are HLL sketches and whose windows are HLL unions
 */
public interface PartAggregator<A, M> extends Serializable {

  /** Adds one event's input: its number (NaN if none), its text (null if none), its time. */
  A add(A acc, double number, String text, long timestamp);

  /** Merges {@code from} (never modified) into {@code into} (null: start a new one). */
  M mergeInto(M into, A from);

  /**
   * Merges the slice accumulator {@code from} (never modified) into the slice accumulator {@code
   * into} (null: start a new one), keeping the slice form: how a lifetime part folds the slices no
   * window needs any more into one accumulator that is stored like a slice. The default serves the
   * kinds whose slice and merged accumulators are of one type.
   */
  @SuppressWarnings("unchecked")
  default A fold(A into, A from) {
    return (A) mergeInto((M) into, from);
  }

  /** The feature value of a merged accumulator; {@code merged} null means an empty window. */
  Object result(M merged);

  /** Writes a slice accumulator (never null) as {@code SliceCodec}'s layout draws it. */
  void write(DataOutput out, A acc) throws IOException;

  /** Reads what {@link #write} wrote. */
  A read(DataInput in) throws IOException;
}
