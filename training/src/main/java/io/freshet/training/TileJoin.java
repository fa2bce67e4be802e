package io.freshet.training;

import io.freshet.aggregate.RequestTimeRule;
import io.freshet.offline.TileHistory;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The join of one request-time view: tile versions streamed once ({@link TileHistory}, each
 * entity's versions together, by tile and oldest version first), the labels of each entity visited
 * once, in time order, and each label's value made by the one serving rule ({@link
 * RequestTimeRule}).
 *
 * <p>Per entity, the versions are held while its labels are swept (an entity's tile history within
 * its labels' reach, not the view's). For a label at {@code L} (epoch µs):
 *
 * <ul>
 *   <li>{@link TrainingSemantics#AS_SERVED}, {@code L} at or after the view version's first served
 *       instant: the served versions are taken in order of their visibility instant, each tile
 *       keeping the newest one with {@code visible_at <= L}, and the rule is applied at {@code
 *       floorDiv(L, 1000)}: what the gateway, reading the same tiles at that instant, returned.
 *   <li>{@link TrainingSemantics#FINAL}, or a label before the first served instant: the newest
 *       version of each tile whatever its visibility, the tiles starting before {@code floor(L_ms,
 *       tile)}, and the rule applied at that boundary (see {@link TrainingSemantics#FINAL} for the
 *       bias of the cut).
 * </ul>
 *
 * <p>Only the tiles a window at the instant can select, and the newest tile (which decides expiry),
 * are handed to the rule; it decides the same as with every tile. Not thread-safe; one instance per
 * stream.
 */
final class TileJoin implements Consumer<TileHistory.Version> {
  private java.util.function.LongConsumer entityDone = n -> {};

  private final RequestTimeRule rule;
  private final long tile;
  private final long maxWindow;
  private final Map<String, AsOfJoin.Group> groups;
  private final long[] labelTimes;
  private final boolean asServed;
  private final long firstServedMicros;
  private final List<FeaturePart> parts;
  private final String[][] picked;

  private String currentKey;
  private AsOfJoin.Group current;
  private final List<TileHistory.Version> versions = new ArrayList<>();

  /**
   * @param plan the view version
   * @param groups the labels of every entity this stream may hold, by entity key
   * @param labelTimes every label's time in epoch µs, by label index
   * @param asServed whether labels from {@code firstServedMicros} on take as-served values
   * @param firstServedMicros the first instant any tile of the view version was served; {@link
   *     Long#MAX_VALUE} if never
   * @param parts the parts whose values a label takes, in order
   * @param picked where the values for label {@code i} go, as {@code picked[i]}, in Postgres text
   *     form; labels without a value are left untouched (null)
   */
  TileJoin(
      ViewPlan plan,
      Map<String, AsOfJoin.Group> groups,
      long[] labelTimes,
      boolean asServed,
      long firstServedMicros,
      List<FeaturePart> parts,
      String[][] picked) {
    this.rule = new RequestTimeRule(plan);
    this.tile = plan.tileMillis();
    this.maxWindow = plan.maxWindowMillis();
    this.groups = groups;
    this.labelTimes = labelTimes;
    this.asServed = asServed;
    this.firstServedMicros = firstServedMicros;
    this.parts = parts;
    this.picked = picked;
  }

  @Override
  public void accept(TileHistory.Version v) {
    String key = v.tile().entityKey();
    if (!key.equals(currentKey)) {
      finishEntity();
      currentKey = key;
      current = groups.get(key);
      if (current != null) {
        if (current.seen) {
          throw new IllegalStateException(
              "tile versions of entity '"
                  + key
                  + "' arrived in two runs; the stream must hold each entity's versions together");
        }
        current.seen = true;
      }
    }
    if (current != null) {
      versions.add(v);
    }
  }

  /** Tells {@code counter} how many labels each entity had once they took their values. */
  void countInto(java.util.function.LongConsumer counter) {
    entityDone = counter;
  }

  /** Ends the stream: the labels of the last entity take their values. */
  void finish() {
    finishEntity();
  }

  private void finishEntity() {
    if (current == null) {
      return;
    }
    NavigableMap<Long, Tile> newest = new TreeMap<>();
    List<TileHistory.Version> served = new ArrayList<>();
    long lastStart = Long.MIN_VALUE;
    long lastVersion = Long.MIN_VALUE;
    for (TileHistory.Version v : versions) {
      Tile t = v.tile();
      if (t.start() < lastStart || (t.start() == lastStart && t.version() <= lastVersion)) {
        throw new IllegalStateException(
            "tile versions of entity '" + currentKey + "' arrived out of (tile, version) order");
      }
      lastStart = t.start();
      lastVersion = t.version();
      newest.put(t.start(), t);
      if (v.served()) {
        served.add(v);
      }
    }
    served.sort(Comparator.comparingLong(TileHistory.Version::visibleMicros));
    NavigableMap<Long, Tile> visible = new TreeMap<>();
    int next = 0;
    for (int label : current.labels) {
      long l = labelTimes[label];
      long lMillis = Math.floorDiv(l, 1000);
      FeatureRow row;
      if (asServed && l >= firstServedMicros) {
        while (next < served.size() && served.get(next).visibleMicros() <= l) {
          Tile t = served.get(next++).tile();
          Tile had = visible.get(t.start());
          if (had == null || had.version() < t.version()) {
            visible.put(t.start(), t);
          }
        }
        row = rule.valueAt(currentKey, reach(visible, lMillis), lMillis);
      } else {
        long boundary = Math.floorDiv(lMillis, tile) * tile;
        row = rule.valueAt(currentKey, reach(newest.headMap(boundary, false), boundary), boundary);
      }
      picked[label] = row == null ? null : render(row);
    }
    entityDone.accept(current.labels.length);
    versions.clear();
    current = null;
  }

  /**
   * Of {@code tiles}, those any window at {@code t} can select and the newest: the rule's value is
   * the same as from all of them.
   */
  private Collection<Tile> reach(NavigableMap<Long, Tile> tiles, long t) {
    if (tiles.isEmpty()) {
      return List.of();
    }
    NavigableMap<Long, Tile> tail = tiles.tailMap(rule.firstTile(t, maxWindow), true);
    return tail.isEmpty() ? List.of(tiles.lastEntry().getValue()) : tail.values();
  }

  private String[] render(FeatureRow row) {
    Object[] values = row.values();
    String[] out = new String[parts.size()];
    for (int i = 0; i < out.length; i++) {
      FeaturePart p = parts.get(i);
      out[i] = PostgresText.of(p.type(), values[p.index()]);
    }
    return out;
  }
}
