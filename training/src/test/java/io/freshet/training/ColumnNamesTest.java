package io.freshet.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.FeatureService.FeatureRef;
import java.util.List;
import org.junit.jupiter.api.Test;

class ColumnNamesTest {
  private static final List<FeatureRef> REFS =
      List.of(
          FeatureRef.parse("user_activity:event_count_1h"),
          FeatureRef.parse("user_activity:last_platform"),
          FeatureRef.parse("merchant_orders:last_platform"));

  @Test
  void short_names_unless_they_collide_or_full_names_are_asked_for() {
    assertThat(RequestResolution.columnNames(REFS, List.of("user_id"), false))
        .containsExactly(
            "event_count_1h", "user_activity__last_platform", "merchant_orders__last_platform");
    assertThat(RequestResolution.columnNames(REFS, List.of("event_count_1h"), false))
        .containsExactly(
            "user_activity__event_count_1h",
            "user_activity__last_platform",
            "merchant_orders__last_platform");
    assertThat(RequestResolution.columnNames(REFS.subList(0, 1), List.of(), true))
        .containsExactly("user_activity__event_count_1h");
  }
}
