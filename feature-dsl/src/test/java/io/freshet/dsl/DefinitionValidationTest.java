package io.freshet.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DefinitionValidationTest {
  private static final KafkaJsonSource EVENTS =
      KafkaJsonSource.topic("user-events").keyedBy("user_id").eventTimeField("event_ts");

  @Test
  void rejects_window_not_multiple_of_slide() {
    assertThatThrownBy(() -> SlidingWindow.of(Duration.ofMinutes(45), Duration.ofMinutes(10)))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "window size 45m must be a multiple of slide 10m (use a slide that divides 45m, e.g."
                + " 9m)");
  }

  @Test
  void rejects_slide_longer_than_size() {
    assertThatThrownBy(() -> SlidingWindow.of(Duration.ofMinutes(10), Duration.ofMinutes(15)))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "window slide 15m is longer than its size 10m: events between windows would be"
                + " ignored (use a slide no longer than the size)");
  }

  @Test
  void rejects_zero_window_size() {
    assertThatThrownBy(() -> SlidingWindow.tumbling(Duration.ZERO))
        .isInstanceOf(DefinitionException.class)
        .hasMessage("window size must be a positive duration, got 0s");
  }

  @Test
  void rejects_feature_names_that_are_not_identifiers() {
    assertThatThrownBy(() -> Feature.named("Event Count"))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "feature name 'Event Count' is not a valid identifier: use 1 to 48 characters of"
                + " lower-case letters, digits and '_', starting with a letter (e.g."
                + " 'event_count_1h')");
  }

  @Test
  void rejects_view_without_entity_key() {
    var window = SlidingWindow.tumbling(Duration.ofHours(1));
    assertThatThrownBy(
            () ->
                FeatureView.named("v")
                    .source(KafkaJsonSource.topic("t"))
                    .feature(Feature.named("n").aggregate(Aggregation.count()).over(window))
                    .build())
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "feature view 'v': source 't' has no entity key (call keyedBy(\"user_id\") on the"
                + " source)");
  }

  @Test
  void rejects_features_with_different_slides_in_one_view() {
    assertThatThrownBy(
            () ->
                FeatureView.named("v")
                    .source(EVENTS)
                    .feature(
                        Feature.named("a")
                            .aggregate(Aggregation.count())
                            .over(SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15))))
                    .feature(
                        Feature.named("b")
                            .aggregate(Aggregation.count())
                            .over(SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(5))))
                    .build())
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "feature view 'v': feature 'b' slides every 5m but 'a' slides every 15m (all features"
                + " of a view share one slide; put the other in its own view)");
  }

  @Test
  void rejects_duplicate_feature_names() {
    var w = SlidingWindow.tumbling(Duration.ofHours(1));
    assertThatThrownBy(
            () ->
                FeatureView.named("v")
                    .source(EVENTS)
                    .feature(Feature.named("a").aggregate(Aggregation.count()).over(w))
                    .feature(Feature.named("a").aggregate(Aggregation.sum("x")).over(w))
                    .build())
        .isInstanceOf(DefinitionException.class)
        .hasMessage("feature view 'v' declares feature 'a' twice (rename one)");
  }

  @Test
  void rejects_feature_without_aggregation() {
    assertThatThrownBy(() -> Feature.named("a").over(SlidingWindow.tumbling(Duration.ofHours(1))))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "feature 'a' has no aggregation: call aggregate(Aggregation.count()) or similar");
  }

  @Test
  void rejects_invalid_topic_names() {
    assertThatThrownBy(() -> KafkaJsonSource.topic("user events"))
        .isInstanceOf(DefinitionException.class)
        .hasMessageStartingWith("Kafka topic 'user events' is not a valid topic name");
  }

  @Test
  void view_defaults_availability_delay_to_the_watermark_bound() {
    var view =
        FeatureView.named("v")
            .source(EVENTS.withMaxOutOfOrderness(Duration.ofMinutes(7)))
            .feature(
                Feature.named("a")
                    .aggregate(Aggregation.count())
                    .over(SlidingWindow.tumbling(Duration.ofHours(1))))
            .build();
    assertThat(view.availabilityDelay()).isEqualTo(Duration.ofMinutes(7));
    assertThat(view.ttl()).isEqualTo(Duration.ofHours(2));
  }

  private static final SlidingWindow HOUR =
      SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));

  @Test
  void rejects_derived_feature_referring_to_an_unknown_feature() {
    assertThatThrownBy(
            () ->
                FeatureView.named("v")
                    .source(EVENTS)
                    .feature(Feature.named("n").aggregate(Aggregation.count()).over(HOUR))
                    .derived(
                        DerivedFeature.named("r")
                            .as(Expression.ratio(Expression.ref("m"), Expression.ref("n"), 0)))
                    .build())
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "feature view 'v': derived feature 'r' refers to 'm', which is not a feature declared"
                + " before it in this view");
  }

  @Test
  void rejects_derived_feature_over_a_text_feature() {
    assertThatThrownBy(
            () ->
                FeatureView.named("v")
                    .source(EVENTS)
                    .feature(Feature.named("p").aggregate(Aggregation.last("platform")).over(HOUR))
                    .derived(
                        DerivedFeature.named("r")
                            .as(Expression.add(Expression.ref("p"), Expression.constant(1))))
                    .build())
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "feature view 'v': derived feature 'r' refers to 'p', which is not numeric (derive only"
                + " from counts, sums, averages and the like)");
  }

  @Test
  void rejects_percentile_outside_zero_to_one() {
    assertThatThrownBy(() -> Aggregation.approxPercentile("latency", 95))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "approx_percentile of 'latency': quantile 95.0 is outside 0..1 (use 0.95 for the 95th"
                + " percentile)");
  }

  @Test
  void rejects_last_k_with_k_zero() {
    assertThatThrownBy(() -> Aggregation.lastK("product_id", 0))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "last_k of 'product_id': k 0 is outside 1..1000 (keep k small: every slice keeps up to"
                + " k values)");
  }

  @Test
  void rejects_negative_allowed_lateness() {
    assertThatThrownBy(() -> EVENTS.withAllowedLateness(Duration.ofMinutes(-1)))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "allowed lateness of source 'user-events' must be zero or a positive duration, got"
                + " PT-1M");
  }

  @Test
  void names_features_over_several_windows_after_input_op_and_window() {
    var day = SlidingWindow.of(Duration.ofDays(1), Duration.ofMinutes(15));
    var week = SlidingWindow.of(Duration.ofDays(7), Duration.ofMinutes(15));
    assertThat(Feature.of(Aggregation.sum("revenue")).overEach(HOUR, day, week))
        .extracting(Feature::name)
        .containsExactly("revenue_sum_1h", "revenue_sum_1d", "revenue_sum_7d");
    assertThat(Feature.named("purchases").aggregate(Aggregation.count()).overEach(HOUR, day))
        .extracting(Feature::name)
        .containsExactly("purchases_1h", "purchases_1d");
    assertThat(Feature.of(Aggregation.count()).over(HOUR).name()).isEqualTo("event_count_1h");
  }

  @Test
  void rejects_feature_reference_without_a_colon() {
    assertThatThrownBy(() -> FeatureService.of("s", "user_activity.event_count_1h"))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "feature reference 'user_activity.event_count_1h' must be written view:feature (e.g."
                + " user_activity:event_count_1h)");
  }

  @Test
  void rejects_service_listing_an_unknown_feature() {
    var view =
        FeatureView.named("user_activity")
            .source(EVENTS)
            .feature(Feature.named("event_count_1h").aggregate(Aggregation.count()).over(HOUR))
            .build();
    assertThatThrownBy(
            () ->
                io.freshet.plan.Catalog.of(
                    java.util.List.of(view),
                    java.util.List.of(FeatureService.of("m", "user_activity:clicks_1h"))))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "feature service 'm' lists user_activity:clicks_1h but view 'user_activity' has no"
                + " feature 'clicks_1h'");
  }
}
