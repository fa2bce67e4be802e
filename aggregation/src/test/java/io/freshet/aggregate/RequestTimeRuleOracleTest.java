package io.freshet.aggregate;

import static io.freshet.dsl.Aggregation.approxCountDistinct;
import static io.freshet.dsl.Aggregation.approxPercentile;
import static io.freshet.dsl.Aggregation.avg;
import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.countDistinct;
import static io.freshet.dsl.Aggregation.first;
import static io.freshet.dsl.Aggregation.last;
import static io.freshet.dsl.Aggregation.lastK;
import static io.freshet.dsl.Aggregation.max;
import static io.freshet.dsl.Aggregation.min;
import static io.freshet.dsl.Aggregation.sum;
import static io.freshet.dsl.Expression.ratio;
import static io.freshet.dsl.Expression.ref;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.AggregationKind;
import io.freshet.dsl.DerivedFeature;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.Filter;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The request-time rule against brute force: tiles are folded from generated events (in shuffled
 * order, as they would arrive out of order) with the job's aggregators, and the value {@link
 * RequestTimeRule#valueAt} merges at many instants (random ones, tile boundaries and a millisecond
 * either side, instants where every tile has left the windows, the expiry instant) must equal an
 * aggregation written here from the raw events the rule's Javadoc selects: for a feature of window
 * {@code S}, every event whose tile {@code floor(ts, T)} lies in {@code [floor(t - S, T), t)}.
 *
 * <p>Revenues are multiples of 0.25, so every sum is exact in doubles and values compare exactly.
 * Distinct sets stay small enough for the HLL sketch to count exactly, and percentile inputs small
 * enough for the KLL sketch to keep every item.
 */
class RequestTimeRuleOracleTest {
  private static final long MIN = 60_000;
  private static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  private static final long TILE = 5 * MIN;
  private static final Duration TTL = Duration.ofMinutes(45);

  /** A raw event; absent fields are null. */
  record Ev(
      String key,
      long ts,
      String type,
      Double revenue,
      String platform,
      String session,
      String product) {}

  /** What the oracle computes for one aggregated part. */
  enum Kind {
    COUNT,
    SUM,
    MIN,
    MAX,
    AVG,
    FIRST,
    LAST,
    DISTINCT,
    P90,
    LAST3
  }

  record Spec(Kind kind, Function<Ev, Object> field, boolean purchasesOnly, long size) {}

  private static final List<Spec> SPECS =
      List.of(
          new Spec(Kind.COUNT, null, false, 60 * MIN),
          new Spec(Kind.COUNT, null, true, 60 * MIN),
          new Spec(Kind.SUM, Ev::revenue, true, 60 * MIN),
          new Spec(Kind.COUNT, null, false, 30 * MIN),
          new Spec(Kind.SUM, Ev::revenue, false, 120 * MIN),
          new Spec(Kind.MIN, Ev::revenue, false, 60 * MIN),
          new Spec(Kind.MAX, Ev::revenue, false, 120 * MIN),
          new Spec(Kind.AVG, Ev::revenue, true, 60 * MIN),
          new Spec(Kind.FIRST, Ev::platform, false, 60 * MIN),
          new Spec(Kind.LAST, Ev::platform, false, 60 * MIN),
          new Spec(Kind.DISTINCT, Ev::session, false, 60 * MIN),
          new Spec(Kind.DISTINCT, Ev::product, false, 120 * MIN),
          new Spec(Kind.P90, Ev::revenue, false, 60 * MIN),
          new Spec(Kind.LAST3, Ev::product, false, 60 * MIN));

  static ViewPlan plan() {
    var purchase = Filter.equalTo("event_type", "purchase");
    var h1 = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
    var m30 = SlidingWindow.of(Duration.ofMinutes(30), Duration.ofMinutes(15));
    var h2 = SlidingWindow.of(Duration.ofHours(2), Duration.ofMinutes(15));
    return ViewPlan.of(
        FeatureView.named("rt_oracle")
            .source(
                KafkaJsonSource.topic("events")
                    .keyedBy("user_id")
                    .eventTimeField("event_ts")
                    .withMaxOutOfOrderness(Duration.ofSeconds(10)))
            .feature(Feature.named("events_1h").aggregate(count()).over(h1))
            .feature(Feature.named("purchases_1h").aggregate(count()).where(purchase).over(h1))
            .feature(Feature.named("revenue_1h").aggregate(sum("revenue")).where(purchase).over(h1))
            .feature(Feature.named("events_30m").aggregate(count()).over(m30))
            .feature(Feature.named("any_revenue_2h").aggregate(sum("revenue")).over(h2))
            .feature(Feature.named("min_revenue_1h").aggregate(min("revenue")).over(h1))
            .feature(Feature.named("max_revenue_2h").aggregate(max("revenue")).over(h2))
            .feature(
                Feature.named("avg_purchase_1h").aggregate(avg("revenue")).where(purchase).over(h1))
            .feature(Feature.named("first_platform").aggregate(first("platform")).over(h1))
            .feature(Feature.named("last_platform").aggregate(last("platform")).over(h1))
            .feature(Feature.named("sessions_1h").aggregate(countDistinct("session_id")).over(h1))
            .feature(
                Feature.named("products_2h").aggregate(approxCountDistinct("product_id")).over(h2))
            .feature(
                Feature.named("p90_revenue_1h")
                    .aggregate(approxPercentile("revenue", 0.9))
                    .over(h1))
            .feature(Feature.named("last_products").aggregate(lastK("product_id", 3)).over(h1))
            .derived(
                DerivedFeature.named("conversion_1h")
                    .as(ratio(ref("purchases_1h"), ref("events_1h"), 0)))
            .ttl(TTL)
            .servedAtRequestTime(Duration.ofMillis(TILE))
            .build());
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4})
  void values_at_request_instants_equal_brute_force(long seed) throws Exception {
    ViewPlan plan = plan();
    assertThat(plan.tileMillis()).isEqualTo(TILE);
    Random r = new Random(seed);
    List<Ev> events = generate(r);
    Map<String, List<Tile>> tiles = fold(plan, events, r);
    RequestTimeRule rule = new RequestTimeRule(plan);

    List<Long> instants = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      instants.add(T0 - 30 * MIN + (long) (r.nextDouble() * 9 * 60 * MIN));
    }
    for (long b = T0 - 10 * MIN; b < T0 + 9 * 60 * MIN; b += TILE) {
      instants.add(b);
      instants.add(b - 1);
      instants.add(b + 1);
    }
    int present = 0;
    int empty = 0;
    int missing = 0;
    for (String key : tiles.keySet()) {
      List<Ev> own = events.stream().filter(e -> e.key().equals(key)).toList();
      long newest =
          own.stream().mapToLong(e -> Math.floorDiv(e.ts(), TILE) * TILE).max().orElseThrow();
      long expiry = newest + TILE + 120 * MIN + TTL.toMillis();
      List<Long> keyInstants = new ArrayList<>(instants);
      keyInstants.addAll(List.of(expiry - 1, expiry, expiry + 1, newest + TILE + 120 * MIN + 1));
      for (long t : keyInstants) {
        FeatureRow got = rule.valueAt(key, tiles.get(key), t);
        boolean expired = t >= expiry;
        if (expired) {
          assertThat(got).as("%s at %d, past expiry", key, t).isNull();
          missing++;
          continue;
        }
        assertThat(got).as("%s at %d", key, t).isNotNull();
        assertThat(got.featureTs()).isEqualTo(t);
        List<Object> expected = new ArrayList<>();
        boolean allEmpty = true;
        for (Spec s : SPECS) {
          List<Ev> in = new ArrayList<>();
          for (Ev e : own) {
            long tileStart = Math.floorDiv(e.ts(), TILE) * TILE;
            long first = Math.floorDiv(t - s.size(), TILE) * TILE;
            if (tileStart >= first
                && tileStart < t
                && (!s.purchasesOnly() || "purchase".equals(e.type()))) {
              in.add(e);
            }
          }
          allEmpty &= in.isEmpty();
          expected.add(aggregate(s, in));
        }
        long purchases = (Long) expected.get(1);
        long all = (Long) expected.get(0);
        expected.add(all == 0 ? 0.0 : (double) purchases / all);
        assertThat(java.util.Arrays.asList(got.values()))
            .as("%s at %d", key, t)
            .isEqualTo(expected);
        if (allEmpty) {
          empty++;
        } else {
          present++;
        }
      }
    }
    assertThat(present).as("instants with values").isGreaterThan(500);
    assertThat(empty).as("instants with an empty window, not yet expired").isGreaterThan(10);
    assertThat(missing).as("instants past expiry").isGreaterThan(10);
  }

  @org.junit.jupiter.api.Test
  void no_tiles_is_no_value() {
    assertThat(new RequestTimeRule(plan()).valueAt("nobody", List.of(), T0)).isNull();
  }

  /** Three entities, events over five hours with gaps, fields sometimes absent. */
  private static List<Ev> generate(Random r) {
    List<Ev> events = new ArrayList<>();
    String[] keys = {"u1", "u2", "u3"};
    String[] platforms = {"ios", "android", "web"};
    for (String key : keys) {
      long t = T0 + (long) (r.nextDouble() * 20 * MIN);
      long end = T0 + (3 + r.nextInt(3)) * 60 * MIN;
      while (t < end) {
        t += (long) (r.nextDouble() * 4 * MIN);
        if (r.nextDouble() < 0.03) {
          t += 70 * MIN; // a gap longer than the 1 h windows
        }
        boolean purchase = r.nextDouble() < 0.3;
        Double revenue = r.nextDouble() < 0.8 ? r.nextInt(400) * 0.25 : null;
        String platform = r.nextDouble() < 0.9 ? platforms[r.nextInt(3)] : null;
        String session = "s" + r.nextInt(12);
        String product = r.nextDouble() < 0.7 ? "p" + r.nextInt(25) : null;
        // Equal times, to exercise the tie rules of first, last and last-k.
        long ts = r.nextDouble() < 0.1 ? Math.floorDiv(t, 1000) * 1000 : t;
        events.add(
            new Ev(key, ts, purchase ? "purchase" : "view", revenue, platform, session, product));
      }
    }
    return events;
  }

  /** Folds the events into tiles with the job's aggregators, in shuffled arrival order. */
  private static Map<String, List<Tile>> fold(ViewPlan plan, List<Ev> events, Random r)
      throws Exception {
    List<FeaturePart.Aggregated> parts = plan.aggregatedParts();
    @SuppressWarnings("unchecked")
    PartAggregator<Object, Object>[] aggs = new PartAggregator[parts.size()];
    for (int i = 0; i < aggs.length; i++) {
      aggs[i] = PartAggregators.erased(parts.get(i).aggregation());
    }
    SliceCodec codec = new SliceCodec(aggs);
    List<Ev> arrival = new ArrayList<>(events);
    Collections.shuffle(arrival, r);
    Map<String, Map<Long, Object[]>> accs = new TreeMap<>();
    Map<String, Map<Long, Long>> counts = new TreeMap<>();
    for (Ev e : arrival) {
      long start = Math.floorDiv(e.ts(), TILE) * TILE;
      Object[] a =
          accs.computeIfAbsent(e.key(), k -> new TreeMap<>())
              .computeIfAbsent(start, s -> new Object[aggs.length]);
      counts.computeIfAbsent(e.key(), k -> new TreeMap<>()).merge(start, 1L, Long::sum);
      for (int i = 0; i < aggs.length; i++) {
        FeaturePart.Aggregated p = parts.get(i);
        boolean passes = p.filter() == null || "purchase".equals(e.type());
        if (!passes) {
          continue;
        }
        AggregationKind.Input input = p.aggregation().kind().input();
        double number = Double.NaN;
        String text = null;
        if (input == AggregationKind.Input.NONE) {
          number = 1;
        } else {
          Object v = field(p.aggregation().inputField(), e);
          if (input == AggregationKind.Input.TEXT) {
            text = (String) v;
          } else if (v != null) {
            number = (Double) v;
          }
        }
        a[i] = aggs[i].add(a[i], number, text, e.ts());
      }
    }
    Map<String, List<Tile>> tiles = new TreeMap<>();
    for (var byKey : accs.entrySet()) {
      List<Tile> list = new ArrayList<>();
      for (var byTile : byKey.getValue().entrySet()) {
        long version = counts.get(byKey.getKey()).get(byTile.getKey());
        list.add(
            new Tile(byKey.getKey(), byTile.getKey(), version, codec.encode(byTile.getValue())));
      }
      tiles.put(byKey.getKey(), list);
    }
    return tiles;
  }

  private static Object field(String name, Ev e) {
    return switch (name) {
      case "revenue" -> e.revenue();
      case "platform" -> e.platform();
      case "session_id" -> e.session();
      case "product_id" -> e.product();
      default -> throw new IllegalArgumentException(name);
    };
  }

  /** The feature over the selected events, computed directly. */
  private static Object aggregate(Spec s, List<Ev> in) {
    List<Object> present = new ArrayList<>();
    for (Ev e : in) {
      Object v = s.field() == null ? null : s.field().apply(e);
      if (v != null) {
        present.add(v);
      }
    }
    List<Double> numbers =
        present.stream().filter(Double.class::isInstance).map(Double.class::cast).toList();
    double total = 0;
    for (double d : numbers) {
      total += d; // exact: multiples of 0.25 well inside the double's integer range
    }
    return switch (s.kind()) {
      case COUNT -> (long) in.size();
      case SUM -> total;
      case MIN -> numbers.stream().min(Double::compare).orElse(null);
      case MAX -> numbers.stream().max(Double::compare).orElse(null);
      case AVG -> numbers.isEmpty() ? null : total / numbers.size();
      case FIRST, LAST -> pick(s, in);
      case DISTINCT -> (long) new HashSet<>(present).size();
      case P90 -> {
        if (numbers.isEmpty()) {
          yield null;
        }
        List<Double> sorted = numbers.stream().sorted().toList();
        yield sorted.get((int) Math.max(1, Math.ceil(0.9 * sorted.size())) - 1);
      }
      case LAST3 -> {
        List<Ev> with =
            new ArrayList<>(in.stream().filter(e -> s.field().apply(e) != null).toList());
        with.sort(
            Comparator.comparingLong(Ev::ts)
                .thenComparing(e -> (String) s.field().apply(e))
                .reversed());
        yield with.stream().limit(3).map(e -> (String) s.field().apply(e)).toList();
      }
    };
  }

  /** First: earliest, ties to the smallest value; last: latest, ties to the greatest. */
  private static String pick(Spec s, List<Ev> in) {
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
    return best == null ? null : (String) s.field().apply(best);
  }
}
