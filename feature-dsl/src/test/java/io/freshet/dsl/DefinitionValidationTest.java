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
}
