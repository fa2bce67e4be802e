package io.freshet.examples;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.countDistinct;
import static io.freshet.dsl.Aggregation.last;
import static io.freshet.dsl.Aggregation.sum;
import static io.freshet.dsl.Expression.ratio;
import static io.freshet.dsl.Expression.ref;
import static io.freshet.dsl.Filter.equalTo;

import io.freshet.dsl.DerivedFeature;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import java.time.Duration;

/**
 * The example view of the design: user activity over the last hour, from the {@code user-events}
 * topic.
 */
public final class UserActivity {
  /** The topic the example events are produced to. */
  public static final String TOPIC = "user-events";

  private UserActivity() {}

  /** {@code user_activity}: 1 hour windows sliding every 15 minutes, 10 minutes out of order. */
  public static FeatureView view() {
    return view("user_activity", Duration.ofMinutes(15), Duration.ofMinutes(10));
  }

  /**
   * {@code user_activity_live}: the same features served at request time, for a screen that moves:
   * the windows end at each lookup and an event counts from the checkpoint after it arrived. Tiles
   * of one minute (the slide), a 10 second out-of-orderness bound.
   */
  public static FeatureView liveView() {
    return builder("user_activity_live", Duration.ofMinutes(1), Duration.ofSeconds(10))
        .servedAtRequestTime()
        .build();
  }

  /**
   * The example features over a 1 hour window with the given slide and disorder bound, served at
   * window ends.
   */
  public static FeatureView view(String name, Duration slide, Duration outOfOrderness) {
    return builder(name, slide, outOfOrderness).build();
  }

  /** The example view's builder: the features over a 1 hour window, slide and disorder bound. */
  public static FeatureView.Builder builder(String name, Duration slide, Duration outOfOrderness) {
    SlidingWindow lastHour = SlidingWindow.of(Duration.ofHours(1), slide);
    KafkaJsonSource events =
        KafkaJsonSource.topic(TOPIC)
            .keyedBy("user_id")
            .eventTimeField("event_ts")
            .withMaxOutOfOrderness(outOfOrderness);
    return FeatureView.named(name)
        .source(events)
        .feature(Feature.named("event_count_1h").aggregate(count()).over(lastHour))
        .feature(
            Feature.named("purchase_count_1h")
                .aggregate(count())
                .where(equalTo("event_type", "purchase"))
                .over(lastHour))
        .feature(
            Feature.named("revenue_1h")
                .aggregate(sum("revenue"))
                .where(equalTo("event_type", "purchase"))
                .over(lastHour))
        .feature(
            Feature.named("session_count_1h").aggregate(countDistinct("session_id")).over(lastHour))
        .feature(
            Feature.named("unique_products_1h")
                .aggregate(countDistinct("product_id"))
                .over(lastHour))
        .feature(Feature.named("last_platform").aggregate(last("platform")).over(lastHour))
        .derived(
            DerivedFeature.named("conversion_rate_1h")
                .as(ratio(ref("purchase_count_1h"), ref("event_count_1h"), 0)))
        .derived(
            DerivedFeature.named("avg_revenue_per_purchase_1h")
                .as(ratio(ref("revenue_1h"), ref("purchase_count_1h"), 0)))
        .ttl(Duration.ofHours(2));
  }
}
