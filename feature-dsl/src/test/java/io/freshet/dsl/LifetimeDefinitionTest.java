package io.freshet.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.dsl.json.DefinitionJson;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Lifetime windows and the last event time in the DSL, the plan and the JSON form. */
class LifetimeDefinitionTest {
  private static final KafkaJsonSource EVENTS =
      KafkaJsonSource.topic("user-events").keyedBy("user_id").eventTimeField("event_ts");
  private static final Duration MINUTE = Duration.ofMinutes(1);

  private static FeatureView.Builder view() {
    return FeatureView.named("user_lifetime")
        .source(EVENTS)
        .feature(
            Feature.named("purchase_count_lifetime")
                .aggregate(Aggregation.count())
                .where(Filter.equalTo("event_type", "purchase"))
                .overLifetime(MINUTE))
        .feature(Feature.of(Aggregation.lastEventTime()).overLifetime(MINUTE))
        .feature(
            Feature.named("last_seen_1h")
                .aggregate(Aggregation.lastEventTime())
                .over(SlidingWindow.of(Duration.ofHours(1), MINUTE)));
  }

  @Test
  void a_lifetime_window_has_a_slide_and_no_size() {
    SlidingWindow w = SlidingWindow.lifetime(Duration.ofMinutes(5));
    assertThat(w.isLifetime()).isTrue();
    assertThat(w.size()).isNull();
    assertThat(w.sizeName()).isEqualTo("lifetime");
    assertThat(SlidingWindow.tumbling(Duration.ofHours(1)).isLifetime()).isFalse();
    assertThatThrownBy(() -> SlidingWindow.lifetime(Duration.ZERO))
        .isInstanceOf(DefinitionException.class)
        .hasMessage("window slide must be a positive duration, got 0s");
  }

  @Test
  void last_event_time_is_an_int64_over_no_field_and_names_features_after_itself() {
    Aggregation a = Aggregation.lastEventTime();
    assertThat(a.kind()).isEqualTo(AggregationKind.LAST_EVENT_TIME);
    assertThat(a.resultType()).isEqualTo(FeatureType.INT64);
    assertThat(a.inputField()).isNull();
    assertThat(a.describe()).isEqualTo("last_event_time(*)");
    assertThat(view().build().features().get(1).name()).isEqualTo("event_last_event_time_lifetime");
  }

  @Test
  void a_view_with_a_lifetime_feature_and_no_ttl_never_expires() {
    FeatureView v = view().build();
    assertThat(v.ttl()).isEqualTo(FeatureView.NO_TTL);
    assertThat(v.expires()).isFalse();
    ViewPlan plan = ViewPlan.of(v);
    assertThat(plan.describe())
        .contains("purchase_count_lifetime: INT64 = count(*) where event_type == \"purchase\" over")
        .contains(" over lifetime\n")
        .contains("last_seen_1h: INT64 = last_event_time(*) over 1h\n")
        .contains("ttl none\n");
    assertThat(plan.aggregatedParts())
        .extracting(FeaturePart.Aggregated::isLifetime)
        .containsExactly(true, true, false);
    assertThat(plan.maxWindowMillis()).isEqualTo(Duration.ofHours(1).toMillis());
    assertThat(plan.sliceMillis()).isEqualTo(MINUTE.toMillis());

    FeatureView withTtl = view().ttl(Duration.ofDays(30)).build();
    assertThat(withTtl.ttl()).isEqualTo(Duration.ofDays(30));
    assertThat(withTtl.expires()).isTrue();
    assertThat(ViewPlan.of(withTtl).describe()).contains("ttl 30d\n");
    assertThat(ViewPlan.of(withTtl).fingerprint()).isEqualTo(ViewPlan.of(v).fingerprint());
  }

  @Test
  void a_view_of_lifetime_features_only_keeps_slices_one_slide() {
    FeatureView v =
        FeatureView.named("only_lifetime")
            .source(EVENTS)
            .feature(Feature.named("events").aggregate(Aggregation.count()).overLifetime(MINUTE))
            .build();
    assertThat(ViewPlan.of(v).maxWindowMillis()).isEqualTo(MINUTE.toMillis());
    assertThat(ViewPlan.of(v).sliceMillis()).isEqualTo(MINUTE.toMillis());
  }

  @Test
  void a_views_without_lifetime_features_keep_their_default_ttl() {
    FeatureView v =
        FeatureView.named("plain")
            .source(EVENTS)
            .feature(
                Feature.named("events_1h")
                    .aggregate(Aggregation.count())
                    .over(SlidingWindow.of(Duration.ofHours(1), MINUTE)))
            .build();
    assertThat(v.ttl()).isEqualTo(Duration.ofHours(2));
    assertThat(v.expires()).isTrue();
  }

  @Test
  void rejects_lifetime_features_served_at_request_time() {
    assertThatThrownBy(() -> view().servedAtRequestTime().build())
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "feature view 'user_lifetime': feature 'purchase_count_lifetime' is a lifetime"
                + " aggregation, which is not served at request time (serve the view at window"
                + " ends, or put the lifetime feature in a view of its own)");
  }

  @Test
  void rejects_a_lifetime_feature_with_another_slide() {
    assertThatThrownBy(
            () ->
                view()
                    .feature(
                        Feature.named("events_life")
                            .aggregate(Aggregation.count())
                            .overLifetime(Duration.ofMinutes(5)))
                    .build())
        .isInstanceOf(DefinitionException.class)
        .hasMessageContaining("feature 'events_life' slides every 5m but")
        .hasMessageContaining("all features of a view share one slide");
  }

  @Test
  void rejects_a_ttl_longer_than_no_ttl() {
    assertThatThrownBy(() -> view().ttl(Duration.ofDays(40_000)).build())
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "feature view 'user_lifetime': TTL 40000d is longer than 36500 days (leave the TTL"
                + " unset for a view that never expires)");
  }

  @Test
  void rejects_a_ttl_shorter_than_the_windows_lateness_and_a_slide() {
    assertThatThrownBy(() -> view().ttl(Duration.ofMinutes(30)).build())
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "feature view 'user_lifetime': TTL 30m is too short for its lifetime features, whose"
                + " state is cleared once a key saw no event for the TTL (use a TTL of at least"
                + " 61m: the longest window 1h plus the allowed lateness and a slide, or set no"
                + " TTL)");
    assertThat(view().ttl(Duration.ofMinutes(61)).build().expires()).isTrue();
  }

  @Test
  void json_form_says_lifetime_and_no_ttl_and_reads_back_the_same_view() {
    FeatureView v = view().build();
    // No string of this view holds white space: the compact form is the same JSON.
    String json = DefinitionJson.toJson(v).replaceAll("\\s", "");
    assertThat(json)
        .contains("\"size\":\"lifetime\"")
        .contains("\"ttl\":\"none\"")
        .contains("{\"op\":\"last_event_time\"}");
    FeatureView back = DefinitionJson.viewFromJson(json);
    assertThat(back).isEqualTo(v);
    assertThat(back.expires()).isFalse();
    assertThat(ViewPlan.of(back).fingerprint()).isEqualTo(ViewPlan.of(v).fingerprint());

    FeatureView withTtl = view().ttl(Duration.ofDays(30)).build();
    String ttlJson = DefinitionJson.toJson(withTtl).replaceAll("\\s", "");
    assertThat(ttlJson).contains("\"ttl\":\"PT720H\"");
    assertThat(DefinitionJson.viewFromJson(ttlJson)).isEqualTo(withTtl);
  }

  @Test
  void json_errors_name_the_field_and_what_to_write() {
    String json = DefinitionJson.toJson(view().build()).replaceAll("\\s", "");
    assertThatThrownBy(
            () -> DefinitionJson.viewFromJson(json.replace("\"lifetime\"", "\"forever\"")))
        .isInstanceOf(DefinitionException.class)
        .hasMessageContaining("size")
        .hasMessageContaining("\"forever\" is not an ISO-8601 duration");
    assertThatThrownBy(
            () ->
                DefinitionJson.viewFromJson(
                    json.replace(
                        "{\"op\":\"last_event_time\"}",
                        "{\"op\":\"last_event_time\",\"field\":\"event_ts\"}")))
        .isInstanceOf(DefinitionException.class)
        .hasMessageContaining("field")
        .hasMessageContaining("unknown field");
    assertThatThrownBy(
            () ->
                DefinitionJson.viewFromJson(json.replace("\"ttl\":\"none\"", "\"ttl\":\"never\"")))
        .isInstanceOf(DefinitionException.class)
        .hasMessageContaining("ttl")
        .hasMessageContaining("\"never\" is not an ISO-8601 duration");
  }
}
