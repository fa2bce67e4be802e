package io.freshet.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.FeatureService.FeatureRef;
import io.freshet.plan.Catalog;
import io.freshet.plan.OnDemandPlan;
import org.junit.jupiter.api.Test;

/** The example service {@code checkout}: the amount against the average purchase, 0 without one. */
class CheckoutServiceTest {
  private static final Catalog CATALOG =
      Catalog.of(new ExampleDefinitions().views(), new ExampleDefinitions().services());
  private static final FeatureRef AVG =
      FeatureRef.parse("user_activity:avg_revenue_per_purchase_1h");

  @Test
  void amount_vs_avg_purchase_is_the_ratio_and_0_when_the_average_is_0_or_missing() {
    OnDemandPlan plan = CATALOG.onDemand("checkout");
    assertThat(plan.inputs()).containsExactly(AVG);
    assertThat(plan.requestFields()).extracting(f -> f.name()).containsExactly("amount");

    assertThat(value(plan, 20.0, 10.0)).isEqualTo("0.5");
    assertThat(value(plan, 0.0, 10.0)).isEqualTo("0");
    assertThat(value(plan, null, 10.0)).isEqualTo("0");
    assertThat(value(plan, 20.0, null)).isEqualTo("0");
    assertThat(value(plan, 8.0, 50.0)).isEqualTo("6.25");
  }

  private static String value(OnDemandPlan plan, Double avg, Double amount) {
    Object[] v = plan.evaluate(ref -> ref.equals(AVG) ? avg : null, name -> amount, 0);
    return OnDemandPlan.text(v[0]);
  }
}
