package io.freshet.flink.window;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The oracle: computes a view's change rows by brute force from the accepted events, with no slices
 * and no state machine. For every key and every window end, it scans all of the key's events and
 * aggregates those inside the window, in exact decimal arithmetic.
 */
final class BruteForceWindows {

  /** An event as the oracle sees it. */
  record Ev(String key, long ts, String type, BigDecimal revenue) {}

  /** A feature of the test view: counts or sums revenue, optionally of purchases only. */
  record Spec(boolean sum, boolean purchasesOnly, long size) {}

  /** An expected row. */
  record Row(String key, long featureTs, List<BigDecimal> values) {}

  private BruteForceWindows() {}

  static List<Row> rows(List<Ev> accepted, List<Spec> specs, long slide, long finalWatermark) {
    Map<String, List<Ev>> byKey = new TreeMap<>();
    for (Ev e : accepted) {
      byKey.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e);
    }
    long maxSize = specs.stream().mapToLong(Spec::size).max().orElseThrow();
    List<Row> out = new ArrayList<>();
    for (var entry : byKey.entrySet()) {
      List<Ev> evs = entry.getValue();
      long min = evs.stream().mapToLong(Ev::ts).min().orElseThrow();
      long max = evs.stream().mapToLong(Ev::ts).max().orElseThrow();
      long firstEnd = Math.floorDiv(min, slide) * slide;
      List<BigDecimal> previous = empty(specs.size());
      for (long end = firstEnd;
          end <= max + maxSize + slide && end - 1 <= finalWatermark;
          end += slide) {
        List<BigDecimal> values = new ArrayList<>();
        for (Spec s : specs) {
          BigDecimal v = BigDecimal.ZERO;
          for (Ev e : evs) {
            if (e.ts() >= end - s.size() && e.ts() < end) {
              if (s.purchasesOnly() && !"purchase".equals(e.type())) {
                continue;
              }
              if (s.sum()) {
                v = v.add(e.revenue() == null ? BigDecimal.ZERO : e.revenue());
              } else {
                v = v.add(BigDecimal.ONE);
              }
            }
          }
          values.add(v);
        }
        if (!equal(values, previous)) {
          out.add(new Row(entry.getKey(), end, values));
          previous = values;
        }
      }
    }
    return out;
  }

  private static List<BigDecimal> empty(int n) {
    List<BigDecimal> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(BigDecimal.ZERO);
    }
    return l;
  }

  private static boolean equal(List<BigDecimal> a, List<BigDecimal> b) {
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i).compareTo(b.get(i)) != 0) {
        return false;
      }
    }
    return Objects.equals(a.size(), b.size());
  }
}
