package io.freshet.flink.window;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The oracle: computes every feature of {@link SlicingWindowOracleTest#plan} by brute force. For a
 * key and a window end it scans all of the key's events and aggregates those inside each feature's
 * window, in exact decimal arithmetic, with no slices and no state machine. Approximate features
 * get their exact value here; the test compares within the sketches' error bounds.
 */
final class BruteForceWindows {

  /** An event as the oracle sees it; absent fields are null. */
  record Ev(
      String key,
      long ts,
      String type,
      BigDecimal revenue,
      String platform,
      String session,
      String product) {}

  /** What a feature computes. */
  enum Kind {
    COUNT,
    SUM,
    MIN,
    MAX,
    AVG,
    FIRST,
    LAST,
    DISTINCT,
    APPROX_DISTINCT,
    P90,
    LAST3,
    /** The greatest event time, epoch milliseconds. */
    LAST_TS
  }

  /** The size of a lifetime spec: every event before the window end. */
  static final long LIFETIME = Long.MAX_VALUE;

  /** One aggregated feature of the test view. */
  record Spec(Kind kind, Function<Ev, Object> field, boolean purchasesOnly, long size) {}

  private BruteForceWindows() {}

  /** The values of every aggregated feature over the window ending at {@code end}. */
  static List<Object> window(List<Ev> keyEvents, List<Spec> specs, long end) {
    List<Object> values = new ArrayList<>();
    for (Spec s : specs) {
      List<Ev> in = new ArrayList<>();
      for (Ev e : keyEvents) {
        if ((s.size() == LIFETIME || e.ts() >= end - s.size())
            && e.ts() < end
            && (!s.purchasesOnly() || "purchase".equals(e.type()))) {
          in.add(e);
        }
      }
      values.add(aggregate(s, in));
    }
    return values;
  }

  private static Object aggregate(Spec s, List<Ev> in) {
    List<Object> present = new ArrayList<>();
    for (Ev e : in) {
      Object v = s.field() == null ? null : s.field().apply(e);
      if (v != null) {
        present.add(v);
      }
    }
    switch (s.kind()) {
      case COUNT:
        return BigDecimal.valueOf(in.size());
      case SUM:
        return present.stream()
            .map(BigDecimal.class::cast)
            .reduce(BigDecimal.ZERO, BigDecimal::add);
      case MIN:
        return present.stream()
            .map(BigDecimal.class::cast)
            .min(Comparator.naturalOrder())
            .orElse(null);
      case MAX:
        return present.stream()
            .map(BigDecimal.class::cast)
            .max(Comparator.naturalOrder())
            .orElse(null);
      case AVG:
        if (present.isEmpty()) {
          return null;
        }
        BigDecimal sum =
            present.stream().map(BigDecimal.class::cast).reduce(BigDecimal.ZERO, BigDecimal::add);
        return sum.divide(BigDecimal.valueOf(present.size()), MathContext.DECIMAL64);
      case FIRST:
      case LAST:
        {
          Ev best = null;
          for (Ev e : in) {
            String v = (String) s.field().apply(e);
            if (v == null) {
              continue;
            }
            if (best == null) {
              best = e;
              continue;
            }
            String bv = (String) s.field().apply(best);
            boolean later = e.ts() > best.ts() || (e.ts() == best.ts() && v.compareTo(bv) > 0);
            boolean earlier = e.ts() < best.ts() || (e.ts() == best.ts() && v.compareTo(bv) < 0);
            if (s.kind() == Kind.LAST ? later : earlier) {
              best = e;
            }
          }
          return best == null ? null : s.field().apply(best);
        }
      case DISTINCT:
      case APPROX_DISTINCT:
        {
          Set<Object> set = new HashSet<>(present);
          return BigDecimal.valueOf(set.size());
        }
      case P90:
        {
          if (present.isEmpty()) {
            return null;
          }
          List<BigDecimal> sorted = present.stream().map(BigDecimal.class::cast).sorted().toList();
          int idx = (int) Math.max(1, Math.ceil(0.9 * sorted.size()));
          return sorted.get(idx - 1);
        }
      case LAST3:
        {
          List<Ev> with = new ArrayList<>();
          for (Ev e : in) {
            if (s.field().apply(e) != null) {
              with.add(e);
            }
          }
          with.sort(
              Comparator.comparingLong(Ev::ts)
                  .thenComparing(e -> (String) s.field().apply(e))
                  .reversed());
          return with.stream().limit(3).map(e -> (String) s.field().apply(e)).toList();
        }
      case LAST_TS:
        return in.stream().map(Ev::ts).max(Comparator.naturalOrder()).orElse(null);
      default:
        throw new IllegalStateException();
    }
  }

  /** Whether a window's values are those of a window with no events. */
  static boolean isEmpty(List<Object> values, List<Spec> specs) {
    for (int i = 0; i < specs.size(); i++) {
      Object v = values.get(i);
      boolean empty =
          switch (specs.get(i).kind()) {
            case COUNT, SUM, DISTINCT, APPROX_DISTINCT -> ((BigDecimal) v).signum() == 0;
            case LAST3 -> ((List<?>) v).isEmpty();
            default -> v == null;
          };
      if (!empty) {
        return false;
      }
    }
    return true;
  }

  /** Exact equality of two oracle value lists (decimals compared by value). */
  static boolean same(List<Object> a, List<Object> b) {
    for (int i = 0; i < a.size(); i++) {
      Object x = a.get(i);
      Object y = b.get(i);
      if (x instanceof BigDecimal bx && y instanceof BigDecimal by) {
        if (bx.compareTo(by) != 0) {
          return false;
        }
      } else if (!Objects.equals(x, y)) {
        return false;
      }
    }
    return true;
  }
}
