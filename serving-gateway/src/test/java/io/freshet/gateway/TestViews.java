package io.freshet.gateway;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.lastK;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.examples.UserActivity;
import io.freshet.plan.Catalog;
import java.time.Duration;
import java.util.List;

/**
 * The views the gateway's tests serve: the two example views, and {@code tenant_products}, keyed by
 * a compound key (tenant_id, user_id) and holding a STRING_LIST.
 */
final class TestViews {
  private TestViews() {}

  /** {@code tenant_products}: the last 3 products and the event count per tenant and user. */
  static FeatureView tenantProducts() {
    SlidingWindow lastHour = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
    return FeatureView.named("tenant_products")
        .source(
            KafkaJsonSource.topic("tenant-events")
                .keyedBy("tenant_id", "user_id")
                .eventTimeField("event_ts")
                .withMaxOutOfOrderness(Duration.ofMinutes(1)))
        .feature(Feature.named("recent_products").aggregate(lastK("product_id", 3)).over(lastHour))
        .feature(Feature.named("event_count_1h").aggregate(count()).over(lastHour))
        .ttl(Duration.ofHours(2))
        .build();
  }

  /**
   * The example views, with {@code user_activity_live} in its window-end form: these tests write
   * and read rows; the request-time form has tiles (see RequestTimeServingTest).
   */
  static Catalog catalog() {
    return Catalog.of(
        List.of(
            UserActivity.view(),
            UserActivity.view("user_activity_live", Duration.ofMinutes(1), Duration.ofSeconds(10)),
            tenantProducts()));
  }
}
