package io.freshet.examples;

import io.freshet.dsl.FeatureDefinitions;
import io.freshet.dsl.FeatureView;
import java.util.List;

/** The definitions bundled with Freshet, used when no {@code --definitions} jar is given. */
public final class ExampleDefinitions implements FeatureDefinitions {
  @Override
  public List<FeatureView> views() {
    return List.of(UserActivity.view(), UserActivity.liveView());
  }
}
