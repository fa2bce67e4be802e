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
  private static final FeatureRef LAST = FeatureRef.parse("user_lifetime:last_event_ts");

  @Test
  void amount_vs_avg_purchase_is_the_ratio_and_0_when_the_average_is_0_or_missing() {
    OnDemandPlan plan = CATALOG.onDemand("checkout");
    assertThat(plan.inputs()).containsExactly(AVG, LAST);
    assertThat(plan.requestFields()).extracting(f -> f.name()).containsExactly("amount");

    assertThat(value(plan, 20.0, 10.0)).isEqualTo("0.5");
    assertThat(value(plan, 0.0, 10.0)).isEqualTo("0");
    assertThat(value(plan, null, 10.0)).isEqualTo("0");
    assertThat(value(plan, 20.0, null)).isEqualTo("0");
    assertThat(value(plan, 8.0, 50.0)).isEqualTo("6.25");
  }

  @Test
  void seconds_since_last_event_counts_from_the_users_last_event_to_the_request_instant() {
    OnDemandPlan plan = CATALOG.onDemand("checkout");
    long instant = 1_764_763_200_000L;
    assertThat(sinceLast(plan, instant - 90_500, instant)).isEqualTo("90.5");
    assertThat(sinceLast(plan, instant, instant)).isEqualTo("0");
    assertThat(sinceLast(plan, null, instant)).isNull();
  }

  private static String value(OnDemandPlan plan, Double avg, Double amount) {
    Object[] v = plan.evaluate(ref -> ref.equals(AVG) ? avg : null, name -> amount, 0);
    return OnDemandPlan.text(v[0]);
  }

  private static String sinceLast(OnDemandPlan plan, Long lastEventMillis, long instant) {
    Object[] v =
        plan.evaluate(ref -> ref.equals(LAST) ? lastEventMillis : null, name -> 1.0, instant);
    return OnDemandPlan.text(v[1]);
  }
}
