package io.freshet.examples;

import static io.freshet.dsl.OnDemandExpression.coalesce;
import static io.freshet.dsl.OnDemandExpression.divide;
import static io.freshet.dsl.OnDemandExpression.feature;
import static io.freshet.dsl.OnDemandExpression.field;
import static io.freshet.dsl.OnDemandExpression.number;
import static io.freshet.dsl.OnDemandExpression.secondsSince;

import io.freshet.dsl.FeatureDefinitions;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.FeatureView;
import java.util.List;

/** The definitions bundled with Freshet, used when no {@code --definitions} jar is given. */
public final class ExampleDefinitions implements FeatureDefinitions {
  @Override
  public List<FeatureView> views() {
    return List.of(
        UserActivity.view(), UserActivity.liveView(), UserLifetime.view(), UserProfile.view());
  }

  @Override
  public List<FeatureService> services() {
    return List.of(
        FeatureService.of(
            "conversion_model",
            "user_activity:event_count_1h",
            "user_activity:purchase_count_1h",
            "user_activity:conversion_rate_1h",
            "user_activity:last_platform"),
        checkout());
  }

  /**
   * {@code checkout}: the amount of the purchase being made (a request field) against the user's
   * average purchase over the last hour, 0 when that average is 0 or missing; and the seconds since
   * the user's last event (from {@code user_lifetime}) at the request instant, null for a user
   * never seen.
   */
  static FeatureService checkout() {
    return FeatureService.named("checkout")
        .features("user_activity:avg_revenue_per_purchase_1h")
        .requestField("amount", FeatureType.FLOAT64)
        .onDemand(
            "amount_vs_avg_purchase",
            coalesce(
                divide(field("amount"), feature("user_activity:avg_revenue_per_purchase_1h"), 0),
                number(0)))
        .onDemand("seconds_since_last_event", secondsSince(feature("user_lifetime:last_event_ts")))
        .build();
  }
}
