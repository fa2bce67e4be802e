package io.freshet.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.examples.UserActivity;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ViewPlanTest {

  @Test
  void example_view_plan_matches_the_golden_description() throws IOException {
    String golden;
    try (InputStream in = getClass().getResourceAsStream("/golden/user_activity.plan.txt")) {
      golden = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(ViewPlan.of(UserActivity.view()).describe()).isEqualTo(golden);
  }

  @Test
  void fingerprint_is_stable_for_equal_definitions() {
    assertThat(ViewPlan.of(UserActivity.view()).fingerprint())
        .isEqualTo(ViewPlan.of(UserActivity.view()).fingerprint());
  }

  @Test
  void changing_meaning_changes_the_fingerprint() {
    var base = ViewPlan.of(UserActivity.view());
    var otherSlide =
        ViewPlan.of(
            UserActivity.view("user_activity", Duration.ofMinutes(5), Duration.ofMinutes(10)));
    var otherBound =
        ViewPlan.of(
            UserActivity.view("user_activity", Duration.ofMinutes(15), Duration.ofMinutes(11)));
    assertThat(otherSlide.fingerprint()).isNotEqualTo(base.fingerprint());
    assertThat(otherBound.fingerprint()).isNotEqualTo(base.fingerprint());
  }

  @Test
  void ttl_does_not_change_the_fingerprint() {
    var base = UserActivity.view();
    var longer =
        new io.freshet.dsl.FeatureView(
            base.name(),
            base.source(),
            base.features(),
            base.derived(),
            Duration.ofDays(3),
            Duration.ZERO);
    assertThat(ViewPlan.of(longer).fingerprint()).isEqualTo(ViewPlan.of(base).fingerprint());
  }

  @Test
  void catalog_loads_bundled_examples() {
    Catalog c = Catalog.load(getClass().getClassLoader());
    assertThat(c.plans())
        .extracting(ViewPlan::name)
        .containsExactly("user_activity", "user_activity_live", "user_lifetime", "user_profile");
  }
}
