package io.freshet.gateway.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.freshet.examples.UserActivity;
import io.freshet.gateway.GatewayLimits;
import io.freshet.gateway.catalog.FeatureRef;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.plan.Catalog;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Checking and resolving the body of get-online-features: each fault named with its field. */
class OnlineFeaturesRequestTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final GatewayLimits LIMITS = GatewayLimits.defaults();
  private static final Catalog CATALOG =
      Catalog.of(List.of(UserActivity.view(), UserActivity.liveView()));

  @Test
  void parses_features_entities_and_full_feature_names() {
    OnlineFeaturesRequest r =
        parse(
            "{\"features\": [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\":"
                + " [\"a\", 7]}, \"full_feature_names\": true}");

    assertThat(r.features()).containsExactly(new FeatureRef("user_activity", "event_count_1h"));
    assertThat(r.featureService()).isNull();
    assertThat(r.entities()).containsOnlyKeys("user_id");
    assertThat(r.rows()).isEqualTo(2);
    assertThat(r.fullFeatureNames()).isTrue();
    assertThat(OnlineFeaturesRequest.entityText(r.entities().get("user_id").get(1))).isEqualTo("7");
  }

  @Test
  void null_fields_count_as_absent() {
    OnlineFeaturesRequest r =
        parse(
            "{\"features\": null, \"feature_service\": \"s\", \"entities\": {\"user_id\":"
                + " [\"a\"]}, \"full_feature_names\": null}");

    assertThat(r.featureService()).isEqualTo("s");
    assertThat(r.fullFeatureNames()).isFalse();
  }

  @Test
  void names_each_fault_with_its_field_and_value() {
    assertRejected(
        "[]",
        "body",
        "[]",
        "the request body must be a JSON object such as {\"features\":"
            + " [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\": [\"user_42\"]}},"
            + " got a list");
    assertRejected(
        "{\"entities\": {\"user_id\": [\"a\"]}}",
        "features",
        "",
        "features is missing: give features (a list of view:feature, e.g."
            + " [\"user_activity:event_count_1h\"]) or feature_service (a name)");
    assertRejected(
        "{\"features\": [\"v:f\"], \"feature_service\": \"s\", \"entities\": {}}",
        "feature_service",
        "\"s\"",
        "give either features or feature_service, not both");
    assertRejected(
        "{\"features\": [\"v:f\", 3], \"entities\": {\"user_id\": [\"a\"]}}",
        "features[1]",
        "3",
        "features[1] must be a string view:feature, got an integer");
    assertRejected(
        "{\"features\": [\"v:f\", \"vf\"], \"entities\": {\"user_id\": [\"a\"]}}",
        "features[1]",
        "vf",
        "features[1]: 'vf' is not a feature reference (write view:feature, e.g."
            + " user_activity:event_count_1h)");
    assertRejected(
        "{\"features\": [\"v:f\"], \"entities\": {\"a\": [\"x\", \"y\"], \"b\": [\"x\"]}}",
        "entities.b",
        "1",
        "entities.b has 1 values but entities.a has 2 (every join key needs one value per entity"
            + " row)");
    assertRejected(
        "{\"features\": [\"v:f\"], \"entities\": {\"user_id\": [\"a\"]}, \"full_feature_names\":"
            + " \"yes\"}",
        "full_feature_names",
        "\"yes\"",
        "full_feature_names must be true or false, got a string");
    // Unknown top-level fields are ignored, as Feast ignores them: the fault is the missing one.
    assertRejected(
        "{\"features\": [\"v:f\"], \"entity\": {}}",
        "entities",
        "",
        "entities is missing (map each join key to a list of values, e.g. {\"user_id\":"
            + " [\"user_42\"]})");
    assertRejected(
        "{\"features\": [\"v:f\"], \"entities\": {\"user_id\": [\"a\"]}, \"request_context\":"
            + " {\"amount\": [1, 2]}}",
        "request_context.amount",
        "2",
        "request_context.amount has 2 values but there are 1 entity rows (give one value per"
            + " entity row, null for none)");
    assertRejected(
        "{\"features\": [\"v:f\"], \"entities\": {\"user_id\": [\"a\"]}, \"request_context\":"
            + " [1]}",
        "request_context",
        "[1]",
        "request_context must map each request field to a list of values, one per entity row,"
            + " got a list (e.g. {\"amount\": [19.99]})");
  }

  @Test
  void resolving_names_unknown_views_features_and_join_keys() {
    assertUnresolved(
        "{\"features\": [\"user_activity:event_count_1h\", \"nope:x\"], \"entities\":"
            + " {\"user_id\": [\"a\"]}}",
        "unknown_view",
        "features[1]",
        "features[1]: unknown feature view 'nope' (known views: [user_activity,"
            + " user_activity_live])");
    assertUnresolved(
        "{\"features\": [\"user_activity:nope\"], \"entities\": {\"user_id\": [\"a\"]}}",
        "unknown_feature",
        "features[0]",
        "features[0]: feature view 'user_activity' has no feature 'nope' (features:"
            + " [event_count_1h, purchase_count_1h, revenue_1h, session_count_1h,"
            + " unique_products_1h, last_platform, conversion_rate_1h,"
            + " avg_revenue_per_purchase_1h])");
    assertUnresolved(
        "{\"features\": [\"user_activity:revenue_1h\"], \"entities\": {\"uid\": [\"a\"]}}",
        "missing_join_key",
        "entities",
        "entities has no user_id, the join key of view 'user_activity' (add \"user_id\": [...] to"
            + " entities)");
    assertUnresolved(
        "{\"features\": [\"user_activity:revenue_1h\"], \"entities\": {\"user_id\": [\"a\"],"
            + " \"driver_id\": [1]}}",
        "unknown_join_key",
        "entities.driver_id",
        "entities.driver_id is not a join key of the requested views (join keys: [user_id])");
    // Entity values are checked once the join keys are known: other columns may be request data.
    assertUnresolved(
        "{\"features\": [\"user_activity:revenue_1h\"], \"entities\": {\"user_id\": [\"a\","
            + " 1.5]}}",
        "bad_request",
        "entities.user_id[1]",
        "entities.user_id[1] must be a string or an integer, got a number");
    assertUnresolved(
        "{\"features\": [\"user_activity:revenue_1h\"], \"entities\": {\"user_id\":"
            + " [\"\\ud800x\"]}}",
        "bad_request",
        "entities.user_id[0]",
        "entities.user_id[0] holds a lone UTF-16 surrogate at index 0, which is not text (send"
            + " valid Unicode)");
  }

  @Test
  void rows_repeating_an_entity_share_one_key_and_views_get_their_own() {
    OnlineQuery q =
        OnlineQuery.resolve(
            parse(
                "{\"features\": [\"user_activity:revenue_1h\","
                    + " \"user_activity_live:purchase_count_1h\", \"user_activity:event_count_1h\"],"
                    + " \"entities\": {\"user_id\": [\"a\", \"b\", \"a\"]}}"),
            CATALOG,
            FeatureServiceResolver.none());

    assertThat(q.columns().views())
        .extracting(p -> p.name())
        .containsExactly("user_activity", "user_activity_live");
    assertThat(q.keys()).hasSize(4);
    assertThat(q.keyIndex(0, 0)).isEqualTo(q.keyIndex(0, 2));
    assertThat(q.keyIndex(1, 0)).isNotEqualTo(q.keyIndex(0, 0));
    assertThat(q.columns().columns()).extracting(c -> c.view()).containsExactly(0, 1, 0);
  }

  @Test
  void a_feature_service_resolves_in_its_order() {
    FeatureServiceResolver services =
        FeatureServiceResolver.of(
            Map.of(
                "svc", List.of("user_activity_live:revenue_1h", "user_activity:event_count_1h")));

    OnlineQuery q =
        OnlineQuery.resolve(
            parse("{\"feature_service\": \"svc\", \"entities\": {\"user_id\": [\"a\"]}}"),
            CATALOG,
            services);

    assertThat(q.columns().columns())
        .extracting(c -> c.ref().toString())
        .containsExactly("user_activity_live:revenue_1h", "user_activity:event_count_1h");
  }

  private static OnlineFeaturesRequest parse(String json) {
    return OnlineFeaturesRequest.parse(tree(json), LIMITS);
  }

  private static void assertRejected(String json, String field, String value, String message) {
    RequestRejection r =
        catchThrowableOfType(
            () -> OnlineFeaturesRequest.parse(tree(json), LIMITS), RequestRejection.class);
    assertThat(r).as(json).isNotNull();
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.field()).as(json).isEqualTo(field);
    assertThat(r.value()).as(json).isEqualTo(value);
    assertThat(r.getMessage()).as(json).isEqualTo(message);
  }

  private static void assertUnresolved(String json, String code, String field, String message) {
    RequestRejection r =
        catchThrowableOfType(
            () -> OnlineQuery.resolve(parse(json), CATALOG, FeatureServiceResolver.none()),
            RequestRejection.class);
    assertThat(r).as(json).isNotNull();
    assertThat(r.code()).isEqualTo(code);
    assertThat(r.field()).isEqualTo(field);
    assertThat(r.getMessage()).isEqualTo(message);
  }

  private static JsonNode tree(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
