package io.freshet.plan;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.max;
import static io.freshet.dsl.Aggregation.sum;
import static io.freshet.dsl.Expression.constant;
import static io.freshet.dsl.Expression.multiply;
import static io.freshet.dsl.Expression.ratio;
import static io.freshet.dsl.Expression.ref;
import static io.freshet.dsl.Expression.subtract;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.dsl.DerivedFeature;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.examples.UserActivity;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DerivedValuesTest {
  private final ViewPlan activity = ViewPlan.of(UserActivity.view());

  @Test
  void computes_the_ratios_of_user_activity() {
    Object[] values = {12L, 1L, 19.99, 3L, 5L, "ios", null, null};
    DerivedValues.of(activity).fill(values);
    assertThat(values[6]).isEqualTo(1.0 / 12.0);
    assertThat(values[7]).isEqualTo(19.99);
  }

  @Test
  void division_by_zero_gives_the_declared_value_and_a_null_reference_gives_null() {
    Object[] values = {0L, 0L, null, 0L, 0L, null, 7.0, 7.0};
    DerivedValues.of(activity).fill(values);
    assertThat(values[6]).isEqualTo(0.0);
    assertThat(values[7]).isNull();
  }

  @Test
  void derived_parts_may_use_earlier_derived_parts_and_int64_is_read_as_double() {
    SlidingWindow w = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
    FeatureView view =
        FeatureView.named("mix")
            .source(KafkaJsonSource.topic("t").keyedBy("k").eventTimeField("ts"))
            .feature(Feature.named("n").aggregate(count()).over(w))
            .feature(Feature.named("total").aggregate(sum("x")).over(w))
            .feature(Feature.named("top").aggregate(max("x")).over(w))
            .derived(DerivedFeature.named("mean").as(ratio(ref("total"), ref("n"), -1)))
            .derived(
                DerivedFeature.named("spread")
                    .as(subtract(ref("top"), multiply(ref("mean"), constant(1.5)))))
            .build();
    ViewPlan plan = ViewPlan.of(view);
    long n = (1L << 53) + 1;
    Object[] values = {n, 10.0, 3.0, null, null};
    DerivedValues.of(plan).fill(values);
    double mean = 10.0 / (double) n;
    assertThat(values[3]).isEqualTo(mean);
    assertThat(values[4]).isEqualTo(3.0 - mean * 1.5);

    Object[] empty = {0L, null, null, 5.0, 5.0};
    DerivedValues.of(plan).fill(empty);
    assertThat(empty[3]).isNull();
    assertThat(empty[4]).isNull();
  }

  @Test
  void rejects_values_of_another_shape() {
    assertThatThrownBy(() -> DerivedValues.of(activity).fill(new Object[6]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("values for view 'user_activity' have 6 slots, the plan has 8 parts");
  }
}
