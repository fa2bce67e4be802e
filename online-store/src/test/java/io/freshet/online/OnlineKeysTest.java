package io.freshet.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.examples.UserActivity;
import io.freshet.plan.ViewPlan;
import java.util.List;
import org.junit.jupiter.api.Test;

class OnlineKeysTest {
  private final ViewPlan plan = ViewPlan.of(UserActivity.view());

  @Test
  void keys_carry_a_hash_tag_on_the_entity_and_the_version_tag() {
    assertThat(OnlineKeys.key(plan, "user_42")).isEqualTo("{user_42}:" + plan.versionTag());
    assertThat(OnlineKeys.scanPattern(plan)).isEqualTo("{*}:" + plan.versionTag());
  }

  @Test
  void keys_of_different_views_differ() {
    ViewPlan live = ViewPlan.of(UserActivity.liveView());
    assertThat(OnlineKeys.key(live, "user_42")).isNotEqualTo(OnlineKeys.key(plan, "user_42"));
  }

  @Test
  void entity_keys_are_read_back_from_keys() {
    for (String entity : List.of("user_42", "", "jos\u00e9", "a}:b", "x\u001fy")) {
      assertThat(OnlineKeys.entityKey(plan, OnlineKeys.key(plan, entity))).isEqualTo(entity);
    }
    ViewPlan live = ViewPlan.of(UserActivity.liveView());
    assertThatThrownBy(() -> OnlineKeys.entityKey(plan, OnlineKeys.key(live, "user_42")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not an online key of view 'user_activity'");
  }
}
