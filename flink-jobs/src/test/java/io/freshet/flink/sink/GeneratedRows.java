package io.freshet.flink.sink;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.last;
import static io.freshet.dsl.Aggregation.lastK;
import static io.freshet.dsl.Aggregation.sum;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A deterministic stream of rows for sink tests, and the oracle of what the stores must hold after
 * it, computed independently of the sinks.
 *
 * <p>Row {@code i} belongs to entity {@code i % entities} and, usually, to the window of round
 * {@code i / entities}; about one row in eight is a late update of one of the three windows before.
 * Its {@code seq} value is {@code i}, so every row, and every version the offline table keeps,
 * names the row it came from.
 */
public final class GeneratedRows implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  /** The view the rows belong to: an INT64, a FLOAT64, a STRING and a STRING_LIST part. */
  public static final ViewPlan PLAN = plan();

  /** The window end of round 0. */
  public static final long T0 = 1_767_225_600_000L;

  /** Window ends are this far apart. */
  public static final long SLIDE_MS = 15 * 60_000L;

  private static final String[] PLATFORMS = {"ios", "android", "web", "tv", null};
  private static final String[] PRODUCTS = {
    "p-1", "p,2", "p\"3\"", "p\\4", "NULL", "", "{p5}", "ürün-6", "製品-7"
  };

  private final int entities;
  private final long rows;

  /**
   * @param entities how many entities the rows cycle through
   * @param rows how many rows the stream has
   */
  public GeneratedRows(int entities, long rows) {
    this.entities = entities;
    this.rows = rows;
  }

  public long size() {
    return rows;
  }

  private static ViewPlan plan() {
    SlidingWindow hour = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
    return ViewPlan.of(
        FeatureView.named("sink_test")
            .source(KafkaJsonSource.topic("sink-test").keyedBy("user_id").eventTimeField("ts"))
            .feature(Feature.named("seq").aggregate(count()).over(hour))
            .feature(Feature.named("amount").aggregate(sum("amount")).over(hour))
            .feature(Feature.named("platform").aggregate(last("platform")).over(hour))
            .feature(Feature.named("products").aggregate(lastK("product", 3)).over(hour))
            .ttl(Duration.ofDays(3650))
            .build());
  }

  /** The entity key of row {@code i}; some hold quotes, commas and non-ASCII letters. */
  public String entityOf(long i) {
    int e = (int) (i % entities);
    return e % 17 == 0 ? "usér,\"" + e + "\"" : "user-" + e;
  }

  /** The window round of row {@code i}. */
  public long roundOf(long i) {
    long round = i / entities;
    long h = mix(i);
    if ((h & 7) == 0 && round >= 3) {
      return round - 1 - Long.remainderUnsigned(h >>> 8, 3);
    }
    return round;
  }

  /** Row {@code i} of the stream. */
  public FeatureRow row(long i) {
    long h = mix(i);
    Double amount =
        Long.remainderUnsigned(h >>> 16, 5) == 0
            ? null
            : Long.remainderUnsigned(h >>> 24, 1_000_000) / 100.0;
    String platform = PLATFORMS[(int) Long.remainderUnsigned(h >>> 40, PLATFORMS.length)];
    int n = (int) Long.remainderUnsigned(h >>> 44, 5);
    List<String> products;
    if (n == 4) {
      products = null;
    } else {
      List<String> list = new ArrayList<>(n);
      for (int k = 0; k < n; k++) {
        list.add(PRODUCTS[(int) Long.remainderUnsigned(h >>> (48 + 4 * k), PRODUCTS.length)]);
      }
      products = List.copyOf(list);
    }
    return new FeatureRow(
        entityOf(i), T0 + roundOf(i) * SLIDE_MS, new Object[] {i, amount, platform, products});
  }

  /** The oracle: which row each store must hold in the end. */
  public Oracle oracle() {
    long rounds = (rows + entities - 1) / entities;
    long[] lastPerWindow = new long[(int) (entities * rounds)];
    java.util.Arrays.fill(lastPerWindow, -1);
    long[] newestPerEntity = new long[entities];
    java.util.Arrays.fill(newestPerEntity, -1);
    for (long i = 0; i < rows; i++) {
      int e = (int) (i % entities);
      long round = roundOf(i);
      lastPerWindow[(int) (e * rounds + round)] = i;
      long prev = newestPerEntity[e];
      if (prev < 0 || roundOf(prev) <= round) {
        newestPerEntity[e] = i;
      }
    }
    return new Oracle(lastPerWindow, newestPerEntity);
  }

  /**
   * What the stores must hold, as row numbers.
   *
   * @param lastPerWindow per (entity, round), the last row of that window, or -1
   * @param newestPerEntity per entity, its row with the greatest feature_ts (the last on a tie)
   */
  public record Oracle(long[] lastPerWindow, long[] newestPerEntity) {
    /** The row numbers of every window's latest version. */
    public long[] windows() {
      return java.util.Arrays.stream(lastPerWindow).filter(i -> i >= 0).toArray();
    }
  }

  /** SplitMix64: a well-mixed hash of the row number. */
  static long mix(long x) {
    long z = x + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
