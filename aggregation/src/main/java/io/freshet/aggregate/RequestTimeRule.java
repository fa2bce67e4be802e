package io.freshet.aggregate;

import io.freshet.plan.DerivedValues;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.List;

/**
 * The one rule by which a request-time view's value at an instant is made from an entity's tiles,
 * and the one implementation of it: the gateway, training sets, {@code verify} and the tests all
 * call this class, with the job's own aggregation code.
 *
 * <p><b>The rule.</b> Let {@code T} be the view's tile, {@code S} a feature's window size and
 * {@code t} the request instant in epoch milliseconds. The feature's value at {@code t} merges
 * every tile whose start {@code s} satisfies
 *
 * <pre>floor(t - S, T) &lt;= s &lt; t</pre>
 *
 * <p>(floor to a multiple of {@code T}): every tile that holds an event of the last {@code S}
 * before {@code t}, the still open tile holding {@code t} included. When {@code t} is on a tile
 * boundary that is exactly the window {@code [t - S, t)}; otherwise the oldest tile also brings its
 * events from before {@code t - S} (at most one tile of them, Chronon's "sawtooth"), and the open
 * tile brings whatever it holds, events after {@code t} included if their time runs ahead of the
 * clock. Derived features are computed from the merged values, as at a window end.
 *
 * <p><b>Expiry.</b> An entity's value at {@code t} exists while {@code t < m + T + maxS + ttl},
 * where {@code m} is the start of its newest tile and {@code maxS} the view's longest window: the
 * values step to those of an empty window once every tile has left every window, and that empty
 * value is served for the view's TTL, as a window-end view serves its step to empty. After that the
 * entity is not found. The online table expires the entity's tiles at the same instant.
 *
 * <p>Immutable and thread-safe apart from the slice codec, so each thread uses its own instance
 * (cheap to make).
 */
public final class RequestTimeRule implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long tile;
  private final long maxWindow;
  private final long ttl;
  private final long[] sizes;
  private final int[] partIndexes;
  private final int partCount;
  private final PartAggregator<Object, Object>[] aggregators;
  private final DerivedValues derived;
  private final SliceCodec codec;

  public RequestTimeRule(ViewPlan plan) {
    this.tile = plan.tileMillis();
    this.maxWindow = plan.maxWindowMillis();
    this.ttl = plan.ttl().toMillis();
    List<FeaturePart.Aggregated> aggregated = plan.aggregatedParts();
    @SuppressWarnings("unchecked")
    PartAggregator<Object, Object>[] byPart = new PartAggregator[aggregated.size()];
    this.sizes = new long[aggregated.size()];
    this.partIndexes = new int[aggregated.size()];
    for (int i = 0; i < byPart.length; i++) {
      byPart[i] = PartAggregators.erased(aggregated.get(i).aggregation());
      sizes[i] = aggregated.get(i).windowSizeMillis();
      partIndexes[i] = aggregated.get(i).index();
    }
    this.aggregators = byPart;
    this.partCount = plan.parts().size();
    this.derived = DerivedValues.of(plan);
    this.codec = new SliceCodec(byPart);
  }

  /** The smallest tile start a window of {@code size} ending at {@code t} merges. */
  public long firstTile(long t, long size) {
    return Math.floorDiv(t - size, tile) * tile;
  }

  /** Whether the tile starting at {@code start} is merged into a window of {@code size} at t. */
  public boolean selects(long start, long t, long size) {
    return start >= firstTile(t, size) && start < t;
  }

  /** The instant (epoch ms) from which an entity whose newest tile starts at m is not found. */
  public long expiresAt(long newestTileStart) {
    return newestTileStart + tile + maxWindow + ttl;
  }

  /** Whether a tile starting at {@code start} can no longer be selected at any instant from t. */
  public boolean unneededFrom(long start, long t) {
    return start < firstTile(t, maxWindow);
  }

  /**
   * The entity's value at {@code t} from its tiles (each tile once, in its newest version visible
   * at {@code t}), or null when it has none or they expired by {@code t}. The row's {@code
   * feature_ts} is {@code t}: the windows end there.
   */
  public FeatureRow valueAt(String entityKey, Collection<Tile> tiles, long t) {
    if (tiles.isEmpty()) {
      return null;
    }
    long newest = Long.MIN_VALUE;
    for (Tile tl : tiles) {
      newest = Math.max(newest, tl.start());
    }
    if (t >= expiresAt(newest)) {
      return null;
    }
    Object[] merged = new Object[aggregators.length];
    for (Tile tl : tiles) {
      Object[] accs = null;
      for (int i = 0; i < merged.length; i++) {
        if (selects(tl.start(), t, sizes[i])) {
          if (accs == null) {
            accs = decode(tl);
          }
          if (accs[i] != null) {
            merged[i] = aggregators[i].mergeInto(merged[i], accs[i]);
          }
        }
      }
    }
    Object[] values = new Object[partCount];
    for (int i = 0; i < merged.length; i++) {
      values[partIndexes[i]] = aggregators[i].result(merged[i]);
    }
    derived.fill(values);
    return new FeatureRow(entityKey, t, values);
  }

  private Object[] decode(Tile tl) {
    try {
      return codec.decode(tl.payload());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "tile " + tl + " cannot be read with this view's aggregation code: " + e.getMessage(), e);
    }
  }

  public long tileMillis() {
    return tile;
  }
}
