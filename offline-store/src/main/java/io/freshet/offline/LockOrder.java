package io.freshet.offline;

import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The order in which the offline writers lock rows ({@link OfflineWriter}: by entity key, then
 * feature_ts; {@link OfflineTileWriter}: by entity key, tile start, then version), as positions
 * into the committable. The sort keys are copied out once per element and sorted with the JDK's
 * stable sort, so equal elements keep their order in the committable.
 */
final class LockOrder {
  private LockOrder() {}

  private record Key(String entity, long a, long b, int position) {}

  private static final Comparator<Key> ORDER =
      Comparator.comparing(Key::entity).thenComparingLong(Key::a).thenComparingLong(Key::b);

  /** The positions of {@code rows} by entity key, then feature_ts. */
  static int[] ofRows(List<FeatureRow> rows) {
    Key[] keys = new Key[rows.size()];
    for (int i = 0; i < keys.length; i++) {
      FeatureRow row = rows.get(i);
      keys[i] = new Key(row.entityKey(), row.featureTs(), 0, i);
    }
    return positions(keys);
  }

  /** The positions of {@code tiles} by entity key, tile start, then version. */
  static int[] ofTiles(List<Tile> tiles) {
    Key[] keys = new Key[tiles.size()];
    for (int i = 0; i < keys.length; i++) {
      Tile t = tiles.get(i);
      keys[i] = new Key(t.entityKey(), t.start(), t.version(), i);
    }
    return positions(keys);
  }

  private static int[] positions(Key[] keys) {
    Arrays.sort(keys, ORDER);
    int[] order = new int[keys.length];
    for (int i = 0; i < keys.length; i++) {
      order[i] = keys[i].position();
    }
    return order;
  }
}
