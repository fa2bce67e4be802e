package io.freshet.dsl;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.json.DefinitionJson;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The table of aggregation kinds is what the DSL values and the JSON form say. */
class AggregationKindTest {

  /** One aggregation of every kind. */
  static final List<Aggregation> ONE_OF_EACH =
      List.of(
          Aggregation.count(),
          Aggregation.sum("x"),
          Aggregation.min("x"),
          Aggregation.max("x"),
          Aggregation.avg("x"),
          Aggregation.first("x"),
          Aggregation.last("x"),
          Aggregation.countDistinct("x"),
          Aggregation.approxCountDistinct("x"),
          Aggregation.approxPercentile("x", 0.95),
          Aggregation.lastK("x", 5),
          Aggregation.lastEventTime());

  @Test
  void every_kind_has_a_dsl_value_and_a_json_form_that_reads_back_as_the_same_kind() {
    Set<AggregationKind> seen = EnumSet.noneOf(AggregationKind.class);
    FeatureView.Builder b =
        FeatureView.named("kinds")
            .source(KafkaJsonSource.topic("events").keyedBy("k").eventTimeField("ts"))
            .ttl(Duration.ofHours(1));
    SlidingWindow w = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(5));
    for (Aggregation a : ONE_OF_EACH) {
      seen.add(a.kind());
      assertThat(a.resultType()).isEqualTo(a.kind().resultType());
      assertThat(AggregationKind.ofJsonName(a.kind().jsonName())).isSameAs(a.kind());
      b = b.feature(Feature.named("f_" + a.kind().name().toLowerCase()).aggregate(a).over(w));
    }
    assertThat(seen).containsExactlyInAnyOrder(AggregationKind.values());

    FeatureView view = b.build();
    FeatureView back = DefinitionJson.viewFromJson(DefinitionJson.toJson(view));
    assertThat(back).isEqualTo(view);
    assertThat(ViewPlan.of(back).aggregatedParts())
        .extracting(FeaturePart.Aggregated::kind)
        .containsExactly(AggregationKind.values());
  }

  @Test
  void reads_input_by_kind_count_none_numbers_for_arithmetic_text_for_picks_and_distincts() {
    assertThat(AggregationKind.COUNT.input()).isEqualTo(AggregationKind.Input.NONE);
    for (AggregationKind k :
        List.of(
            AggregationKind.SUM,
            AggregationKind.MIN,
            AggregationKind.MAX,
            AggregationKind.AVG,
            AggregationKind.APPROX_PERCENTILE)) {
      assertThat(k.input()).as(k.jsonName()).isEqualTo(AggregationKind.Input.NUMBER);
    }
    for (AggregationKind k :
        List.of(
            AggregationKind.FIRST,
            AggregationKind.LAST,
            AggregationKind.COUNT_DISTINCT,
            AggregationKind.APPROX_COUNT_DISTINCT,
            AggregationKind.LAST_K)) {
      assertThat(k.input()).as(k.jsonName()).isEqualTo(AggregationKind.Input.TEXT);
    }
  }

  @Test
  void every_kind_merges_and_only_count_sum_and_avg_subtract() {
    for (AggregationKind k : AggregationKind.values()) {
      assertThat(k.mergeable()).as(k.jsonName()).isTrue();
    }
    assertThat(EnumSet.allOf(AggregationKind.class).stream().filter(AggregationKind::invertible))
        .containsExactly(AggregationKind.COUNT, AggregationKind.SUM, AggregationKind.AVG);
  }

  @Test
  void generated_names_tell_the_parameter_of_percentiles_and_last_k() {
    assertThat(Aggregation.sum("x").namePart()).isEqualTo("sum");
    assertThat(Aggregation.approxPercentile("x", 0.999).namePart()).isEqualTo("p99_9");
    assertThat(Aggregation.lastK("x", 5).namePart()).isEqualTo("last5");
  }
}
