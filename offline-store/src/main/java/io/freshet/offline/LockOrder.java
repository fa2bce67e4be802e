package io.freshet.offline;

import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import java.util.List;

/**
 * The order in which the offline writers lock rows ({@link OfflineWriter}: by entity key, then
 * feature_ts; {@link OfflineTileWriter}: by entity key, tile start, then version), as positions
 * into the committable. A stable merge sort of an {@code int[]} over keys copied out once into
 * plain arrays: no boxed index, no comparator chain per comparison. Equal elements keep their order
 * in the committable, as the boxed stream sort this replaces did.
 */
final class LockOrder {
  private LockOrder() {}

  /** The positions of {@code rows} by entity key, then feature_ts. */
  static int[] ofRows(List<FeatureRow> rows) {
    int n = rows.size();
    String[] keys = new String[n];
    long[] ts = new long[n];
    for (int i = 0; i < n; i++) {
      FeatureRow row = rows.get(i);
      keys[i] = row.entityKey();
      ts[i] = row.featureTs();
    }
    return sort(keys, ts, null);
  }

  /** The positions of {@code tiles} by entity key, tile start, then version. */
  static int[] ofTiles(List<Tile> tiles) {
    int n = tiles.size();
    String[] keys = new String[n];
    long[] starts = new long[n];
    long[] versions = new long[n];
    for (int i = 0; i < n; i++) {
      Tile t = tiles.get(i);
      keys[i] = t.entityKey();
      starts[i] = t.start();
      versions[i] = t.version();
    }
    return sort(keys, starts, versions);
  }

  /**
   * The positions 0..n-1 sorted by {@code keys[i]} ({@link String#compareTo}), then {@code a[i]},
   * then {@code b[i]} if given; stable.
   */
  static int[] sort(String[] keys, long[] a, long[] b) {
    int n = keys.length;
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    if (n < 2) {
      return order;
    }
    int[] buffer = order.clone();
    mergeSort(buffer, order, 0, n, keys, a, b);
    return order;
  }

  /** Sorts {@code dst[from, to)}, using {@code src[from, to)} (same contents) as scratch. */
  private static void mergeSort(
      int[] src, int[] dst, int from, int to, String[] keys, long[] a, long[] b) {
    int length = to - from;
    if (length < 8) {
      for (int i = from + 1; i < to; i++) {
        int x = dst[i];
        int j = i - 1;
        while (j >= from && compare(dst[j], x, keys, a, b) > 0) {
          dst[j + 1] = dst[j];
          j--;
        }
        dst[j + 1] = x;
      }
      return;
    }
    int mid = (from + to) >>> 1;
    mergeSort(dst, src, from, mid, keys, a, b);
    mergeSort(dst, src, mid, to, keys, a, b);
    if (compare(src[mid - 1], src[mid], keys, a, b) <= 0) {
      System.arraycopy(src, from, dst, from, length);
      return;
    }
    for (int i = from, p = from, q = mid; i < to; i++) {
      if (q >= to || (p < mid && compare(src[p], src[q], keys, a, b) <= 0)) {
        dst[i] = src[p++];
      } else {
        dst[i] = src[q++];
      }
    }
  }

  private static int compare(int i, int j, String[] keys, long[] a, long[] b) {
    int c = keys[i].compareTo(keys[j]);
    if (c != 0) {
      return c;
    }
    c = Long.compare(a[i], a[j]);
    if (c != 0 || b == null) {
      return c;
    }
    return Long.compare(b[i], b[j]);
  }
}
