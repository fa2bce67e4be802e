package io.freshet.gateway.catalog;

/**
 * One feature of one view, written {@code view:feature} as Feast writes feature references, e.g.
 * {@code user_activity:event_count_1h}.
 *
 * @param view the feature view's name
 * @param feature the feature's name within the view (its part name in the plan)
 */
public record FeatureRef(String view, String feature) {
  public FeatureRef {
    if (view == null || view.isEmpty() || feature == null || feature.isEmpty()) {
      throw new IllegalArgumentException(
          "feature reference needs a view and a feature, got view '"
              + view
              + "' and feature '"
              + feature
              + "' (e.g. user_activity:event_count_1h)");
    }
  }

  /**
   * Parses {@code view:feature}.
   *
   * @throws IllegalArgumentException naming the text and the expected form when it has not exactly
   *     one ':' with text on both sides
   */
  public static FeatureRef parse(String text) {
    int colon = text.indexOf(':');
    if (colon <= 0 || colon == text.length() - 1 || text.indexOf(':', colon + 1) >= 0) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' is not a feature reference (write view:feature, e.g."
              + " user_activity:event_count_1h)");
    }
    return new FeatureRef(text.substring(0, colon), text.substring(colon + 1));
  }

  /** The name Feast gives the column with {@code full_feature_names}: {@code view__feature}. */
  public String fullName() {
    return view + "__" + feature;
  }

  /** {@code view:feature}. */
  @Override
  public String toString() {
    return view + ":" + feature;
  }
}
