package io.freshet.examples;

import io.freshet.dsl.FeatureDefinitions;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureView;
import java.util.List;

/** The definitions bundled with Freshet, used when no {@code --definitions} jar is given. */
public final class ExampleDefinitions implements FeatureDefinitions {
  @Override
  public List<FeatureView> views() {
    return List.of(UserActivity.view(), UserActivity.liveView(), UserProfile.view());
  }

  @Override
  public List<FeatureService> services() {
    return List.of(
        FeatureService.of(
            "conversion_model",
            "user_activity:event_count_1h",
            "user_activity:purchase_count_1h",
            "user_activity:conversion_rate_1h",
            "user_activity:last_platform"));
  }
}
