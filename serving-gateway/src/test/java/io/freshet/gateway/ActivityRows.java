package io.freshet.gateway;

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

  private ActivityRows() {}

  /**
   * A consistent row: two sessions, one product per purchase, last platform "web", and the two
   * ratios derived as the job derives them.
   */
  static FeatureRow of(String entity, long featureTs, long events, long purchases, double revenue) {
    return new FeatureRow(
        entity,
        featureTs,
        new Object[] {
          events,
          purchases,
          revenue,
          2L,
          purchases,
          "web",
          events == 0 ? 0.0 : (double) purchases / events,
          purchases == 0 ? 0.0 : revenue / purchases
        });
  }
}
