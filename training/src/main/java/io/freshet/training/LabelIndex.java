package io.freshet.training;

import io.freshet.storage.EntityKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The labels indexed for the as-of join: in time order, and grouped by entity per view. */
final class LabelIndex {
  private LabelIndex() {}

  /** Label indices sorted by time, ties in label order (a stable merge sort). */
  static int[] byTime(long[] times) {
    int n = times.length;
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    int[] b = new int[n];
    for (int width = 1; width < n; width *= 2) {
      for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = Math.min(lo + width, n);
        int hi = Math.min(lo + 2 * width, n);
        int i = lo;
        int j = mid;
        int k = lo;
        while (i < mid && j < hi) {
          b[k++] = times[a[j]] < times[a[i]] ? a[j++] : a[i++];
        }
        while (i < mid) {
          b[k++] = a[i++];
        }
        while (j < hi) {
          b[k++] = a[j++];
        }
      }
      int[] t = a;
      a = b;
      b = t;
    }
    return a;
  }

  /**
   * The labels of each entity of a view, in time order; rows without a full key are left out.
   *
   * <p>One hash lookup per label, in label order (the rows as they lie in memory); the time-ordered
   * pass then only counts and places label indices by entity number.
   */
  static Map<String, AsOfJoin.Group> groups(Labels labels, List<String> keyColumns, int[] byTime) {
    int[] keyIndex = keyColumns.stream().mapToInt(labels::column).toArray();
    int n = labels.size();
    int[] entityOf = new int[n];
    Map<String, Integer> numbers = new HashMap<>();
    List<String> keys = new ArrayList<>();
    String[] parts = new String[keyIndex.length];
    for (int label = 0; label < n; label++) {
      String[] row = labels.rows.get(label);
      boolean complete = true;
      for (int k = 0; k < keyIndex.length; k++) {
        parts[k] = row[keyIndex[k]];
        if (parts[k] == null || parts[k].isEmpty()) {
          complete = false;
          break;
        }
      }
      if (!complete) {
        entityOf[label] = -1;
        continue;
      }
      String key = EntityKey.of(Arrays.asList(parts));
      Integer number = numbers.putIfAbsent(key, keys.size());
      if (number == null) {
        number = keys.size();
        keys.add(key);
      }
      entityOf[label] = number;
    }
    int[] counts = new int[keys.size()];
    for (int label = 0; label < n; label++) {
      if (entityOf[label] >= 0) {
        counts[entityOf[label]]++;
      }
    }
    int[][] lists = new int[keys.size()][];
    for (int e = 0; e < lists.length; e++) {
      lists[e] = new int[counts[e]];
      counts[e] = 0;
    }
    for (int label : byTime) {
      int e = entityOf[label];
      if (e >= 0) {
        lists[e][counts[e]++] = label;
      }
    }
    Map<String, AsOfJoin.Group> groups = new HashMap<>(keys.size() * 2);
    for (int e = 0; e < lists.length; e++) {
      groups.put(keys.get(e), new AsOfJoin.Group(lists[e]));
    }
    return groups;
  }
}
