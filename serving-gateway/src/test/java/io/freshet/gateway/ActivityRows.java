package io.freshet.gateway;

import io.freshet.examples.UserActivity;
import io.freshet.plan.DerivedValues;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;

/** Rows of the example view {@code user_activity}, with its eight values in plan order. */
final class ActivityRows {
  /** The feature names of {@code user_activity}, in plan order. */
  static final String[] FEATURES = {
    "event_count_1h",
    "purchase_count_1h",
    "revenue_1h",
    "session_count_1h",
    "unique_products_1h",
    "last_platform",
    "conversion_rate_1h",
    "avg_revenue_per_purchase_1h"
  };

  private static final DerivedValues DERIVED = DerivedValues.of(ViewPlan.of(UserActivity.view()));

  private ActivityRows() {}

  /**
   * A consistent row: two sessions, one product per purchase, last platform "web", and the two
   * ratios derived as the job derives them.
   */
  static FeatureRow of(String entity, long featureTs, long events, long purchases, double revenue) {
    Object[] values = {events, purchases, revenue, 2L, purchases, "web", null, null};
    DERIVED.fill(values);
    return new FeatureRow(entity, featureTs, values);
  }
}
