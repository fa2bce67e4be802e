package io.freshet.gateway.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeatureServiceResolverTest {
  @Test
  void resolves_services_by_name_in_their_order() {
    Map<String, List<String>> services = new LinkedHashMap<>();
    services.put("checkout", List.of("user_activity:revenue_1h", "user_activity:event_count_1h"));
    services.put("fraud", List.of("user_activity:conversion_rate_1h"));

    FeatureServiceResolver resolver = FeatureServiceResolver.of(services);

    assertThat(resolver.features("checkout").orElseThrow())
        .containsExactly(
            new FeatureRef("user_activity", "revenue_1h"),
            new FeatureRef("user_activity", "event_count_1h"));
    assertThat(resolver.features("nope")).isEmpty();
    assertThat(resolver.names()).containsExactly("checkout", "fraud");
    assertThat(FeatureServiceResolver.none().names()).isEmpty();
  }

  @Test
  void rejects_malformed_definitions_naming_the_service() {
    assertThatThrownBy(() -> FeatureServiceResolver.of(Map.of("s", List.of("no_colon"))))
        .hasMessage(
            "feature service 's': 'no_colon' is not a feature reference (write view:feature, e.g."
                + " user_activity:event_count_1h)");
    assertThatThrownBy(() -> FeatureServiceResolver.of(Map.of("s", List.of())))
        .hasMessage(
            "feature service 's' has no features (list them as view:feature, e.g."
                + " user_activity:event_count_1h)");
    assertThatThrownBy(() -> FeatureServiceResolver.of(Map.of("s", List.of("v:f", "v:f"))))
        .hasMessage("feature service 's' lists v:f twice (list each feature once)");
    assertThatThrownBy(() -> FeatureServiceResolver.of(Map.of(" ", List.of("v:f"))))
        .hasMessage("feature service name is blank (name each service, e.g. \"checkout_model\")");
  }

  @Test
  void feature_refs_parse_view_colon_feature_only() {
    assertThat(FeatureRef.parse("v:f")).isEqualTo(new FeatureRef("v", "f"));
    assertThat(FeatureRef.parse("v:f").fullName()).isEqualTo("v__f");
    for (String bad : List.of("", ":", "v:", ":f", "v:f:g", "vf")) {
      assertThatThrownBy(() -> FeatureRef.parse(bad))
          .as(bad)
          .hasMessage(
              "'"
                  + bad
                  + "' is not a feature reference (write view:feature, e.g."
                  + " user_activity:event_count_1h)");
    }
  }

  @Test
  void a_polling_source_needs_a_positive_interval() {
    assertThatThrownBy(() -> CatalogSource.polling(() -> null, Duration.ZERO))
        .hasMessage(
            "catalog refresh interval PT0S must be positive (e.g. Duration.ofSeconds(10); use"
                + " CatalogSource.fixed for views that never change)");
  }
}
