package io.freshet.bench;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.max;
import static io.freshet.dsl.Aggregation.sum;
import static io.freshet.dsl.Filter.equalTo;

import io.freshet.dsl.Aggregation;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * {@code user_wide}: a benchmark-only view of 50 aggregated features of the user events (counts,
 * revenue sums and maxima, each filtered on one event type, over 1, 2 and 6 hours), so the gateway
 * can be asked for one entity x 50 features and for 100 entities x 10 features; and {@code
 * user_wide_500}, the same kinds of features 500 times (the 72 combinations of kind, event type and
 * window repeat with a numeric suffix), for one entity x 500 features.
 */
final class WideView {
  static final String NAME = "user_wide";
  static final int FEATURES = 50;
  static final String NAME_500 = "user_wide_500";
  static final int FEATURES_500 = 500;

  private static final String[] EVENT_TYPES = {
    "view", "click", "add_to_cart", "purchase", "search", "share", "review", "wishlist"
  };
  private static final int[] HOURS = {1, 2, 6};

  private WideView() {}

  static FeatureView view() {
    return view(NAME, FEATURES);
  }

  static FeatureView view500() {
    return view(NAME_500, FEATURES_500);
  }

  private static FeatureView view(String name, int features) {
    KafkaJsonSource events =
        KafkaJsonSource.topic("user-events")
            .keyedBy("user_id")
            .eventTimeField("event_ts")
            .withMaxOutOfOrderness(Duration.ofMinutes(10));
    FeatureView.Builder b = FeatureView.named(name).source(events);
    int combinations = EVENT_TYPES.length * HOURS.length * 3;
    for (int i = 0; i < features; i++) {
      String type = EVENT_TYPES[i % EVENT_TYPES.length];
      int hours = HOURS[(i / EVENT_TYPES.length) % HOURS.length];
      String kind;
      Aggregation agg;
      switch ((i % combinations) / (EVENT_TYPES.length * HOURS.length)) {
        case 0 -> {
          kind = "count";
          agg = count();
        }
        case 1 -> {
          kind = "revenue";
          agg = sum("revenue");
        }
        default -> {
          kind = "max_revenue";
          agg = max("revenue");
        }
      }
      b =
          b.feature(
              Feature.named(
                      kind
                          + "_"
                          + type
                          + "_"
                          + hours
                          + "h"
                          + (i < combinations ? "" : "_" + i / combinations))
                  .aggregate(agg)
                  .where(equalTo("event_type", type))
                  .over(SlidingWindow.of(Duration.ofHours(hours), Duration.ofMinutes(15))));
    }
    return b.ttl(Duration.ofHours(7)).build();
  }

  /** Deterministic values of entity {@code i} for any plan whose parts are numbers or strings. */
  static FeatureRow row(ViewPlan plan, int i, long featureTs) {
    SplittableRandom rnd = new SplittableRandom(i * 131L + 11);
    Object[] values = new Object[plan.parts().size()];
    for (FeaturePart p : plan.parts()) {
      values[p.index()] =
          switch (p.type()) {
            case INT64 -> (long) rnd.nextInt(1_000);
            case FLOAT64 -> Math.round(rnd.nextDouble(0, 500) * 100) / 100.0;
            case STRING -> "web";
            case STRING_LIST -> java.util.List.of("a", "b");
          };
    }
    return new FeatureRow("user_" + i, featureTs, values);
  }
}
