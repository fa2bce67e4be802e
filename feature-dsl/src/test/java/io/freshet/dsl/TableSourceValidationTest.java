package io.freshet.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Table-sourced views: what they default to, and every mistake named with its fix. */
class TableSourceValidationTest {
  static final PostgresTableSource SOURCE =
      PostgresTableSource.table("shop.profile").keyedBy("user_id").timestampColumn("updated_at");
  static final Feature COUNTRY = Feature.named("country").column("country", FeatureType.STRING);

  @Test
  void a_table_view_has_no_expiry_no_delay_and_column_parts() {
    FeatureView v = FeatureView.named("profile").source(SOURCE).feature(COUNTRY).build();
    assertThat(v.ttl()).isEqualTo(PostgresTableSource.DEFAULT_TTL);
    assertThat(v.availabilityDelay()).isEqualTo(Duration.ZERO);
    ViewPlan p = ViewPlan.of(v);
    assertThat(p.tableSourced()).isTrue();
    assertThat(p.aggregatedParts()).isEmpty();
    assertThat(p.parts())
        .containsExactly(new FeaturePart.Column(0, "country", "country", FeatureType.STRING));
    assertThat(p.keyFields()).containsExactly("user_id");
    assertThat(p.describe())
        .startsWith(
            "view profile\nsource postgres-table table=shop.profile key=user_id"
                + " timestamp=updated_at\n  country: STRING = column country\n");
  }

  @Test
  void missing_key_and_timestamp_columns_are_named() {
    assertThatThrownBy(
            () ->
                FeatureView.named("p")
                    .source(PostgresTableSource.table("t").timestampColumn("ts"))
                    .feature(COUNTRY)
                    .build())
        .hasMessage(
            "feature view 'p': source 't' has no entity key (call keyedBy(\"user_id\") on the"
                + " source)");
    assertThatThrownBy(
            () ->
                FeatureView.named("p")
                    .source(PostgresTableSource.table("t").keyedBy("id"))
                    .feature(COUNTRY)
                    .build())
        .hasMessageStartingWith(
            "feature view 'p': source 't' has no timestamp column (call"
                + " timestampColumn(\"updated_at\") on the source");
  }

  @Test
  void bad_identifiers_and_statements_are_refused() {
    assertThatThrownBy(() -> PostgresTableSource.table("shop.profile; drop table x"))
        .hasMessageStartingWith("table 'shop.profile; drop table x' is not a valid table name");
    assertThatThrownBy(() -> PostgresTableSource.table("t").keyedBy("User Id"))
        .hasMessageStartingWith("entity key column of source 't' 'User Id' is not a valid column");
    assertThatThrownBy(() -> PostgresTableSource.query("select 1; delete from t"))
        .hasMessageEndingWith(
            "contains ';': write a single SELECT without ';' (it is wrapped as a subquery)");
    assertThatThrownBy(() -> PostgresTableSource.query("delete from t"))
        .hasMessageStartingWith("query 'delete from t' is not a SELECT statement");
  }

  @Test
  void aggregations_and_columns_do_not_mix() {
    Feature count =
        Feature.named("n")
            .aggregate(Aggregation.count())
            .over(SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15)));
    assertThatThrownBy(() -> FeatureView.named("p").source(SOURCE).feature(count).build())
        .hasMessageStartingWith(
            "feature view 'p': feature 'n' aggregates events, but the view reads table source"
                + " 'shop.profile'");
    assertThatThrownBy(
            () ->
                FeatureView.named("p")
                    .source(KafkaJsonSource.topic("events").keyedBy("user_id"))
                    .feature(COUNTRY)
                    .build())
        .hasMessageStartingWith(
            "feature view 'p': feature 'country' is a table column, but the view reads Kafka"
                + " topic 'events'");
    assertThatThrownBy(
            () ->
                FeatureView.named("p")
                    .source(SOURCE)
                    .feature(COUNTRY)
                    .servedAtRequestTime()
                    .build())
        .hasMessageStartingWith("feature view 'p' reads a table and cannot be served at request");
  }
}
