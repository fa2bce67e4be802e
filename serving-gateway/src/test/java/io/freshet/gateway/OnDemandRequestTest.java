package io.freshet.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Request data for on-demand features in Feast's shapes: {@code request_context} or extra columns
 * of {@code entities}; answers named as documented; faults named with what to do.
 */
class OnDemandRequestTest {
  private static GatewayFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    fixture =
        new GatewayFixture(
            config ->
                config.withFeatureServices(
                    FeatureServiceResolver.ofServices(List.of(GatewayBadInputTest.CHECKOUT))));
    fixture.table.write(
        fixture.gateway.catalog().orElseThrow().plan("user_activity"),
        ActivityRows.of("user_42", GatewayFixture.recentWindowEnd(), 12, 2, 40.0));
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void request_context_and_entity_columns_give_the_same_answer() {
    String context =
        "{\"feature_service\": \"checkout\", \"entities\": {\"user_id\": [\"user_42\","
            + " \"nobody\"]}, \"request_context\": {\"amount\": [10, 3.5], \"at\": [null, 1],"
            + " \"platform\": [\"web\", \"ios\"], \"not_declared\": [true, false]},"
            + " \"unknown_top_level\": {\"x\": 1}}";
    String columns =
        "{\"feature_service\": \"checkout\", \"entities\": {\"user_id\": [\"user_42\","
            + " \"nobody\"], \"amount\": [10, 3.5], \"at\": [null, 1], \"platform\": [\"web\","
            + " \"ios\"]}}";
    HttpResponse<String> raw = ok(context);
    JsonNode a = GatewayClient.json(raw);
    JsonNode b = GatewayClient.json(ok(columns));

    assertThat(names(a))
        .containsExactly("user_id", "revenue_1h", "amount_share", "since", "on_web");
    // Equal but for seconds_since, which the gateway's clock moves between the two requests.
    assertThat(onDemand(a).get(0)).isEqualTo(onDemand(b).get(0));
    assertThat(onDemand(a).get(2)).isEqualTo(onDemand(b).get(2));
    // With request data in entities, its columns are echoed as entity columns before the features.
    assertThat(names(b))
        .containsExactly(
            "user_id", "amount", "at", "platform", "revenue_1h", "amount_share", "since", "on_web");
    assertThat(b.get("results").get(6).get("statuses").toString())
        .isEqualTo("[\"NOT_FOUND\",\"PRESENT\"]");
    JsonNode share = a.get("results").get(2);
    assertThat(share.get("values").toString()).isEqualTo("[0.25,null]");
    assertThat(share.get("statuses").toString()).isEqualTo("[\"PRESENT\",\"NOT_FOUND\"]");
    JsonNode since = a.get("results").get(3);
    assertThat(since.get("values").get(0).isNull()).isTrue();
    assertThat(since.get("statuses").get(0).asText()).isEqualTo("NOT_FOUND");
    // Seconds since epoch millisecond 1, sent without an exponent.
    assertThat(raw.body()).containsPattern("\\{\"values\":\\[null,\\d{10}(\\.\\d+)?\\]");
    assertThat(a.get("results").get(4).get("values").toString()).isEqualTo("[true,false]");
  }

  @Test
  void full_feature_names_name_on_demand_features_by_their_service() {
    JsonNode a =
        GatewayClient.json(
            ok(
                "{\"feature_service\": \"checkout\", \"full_feature_names\": true, \"entities\":"
                    + " {\"user_id\": [\"user_42\"]}, \"request_context\": {\"amount\": [1], \"at\":"
                    + " [1], \"platform\": [null]}}"));
    assertThat(names(a))
        .containsExactly(
            "user_id",
            "user_activity__revenue_1h",
            "checkout__amount_share",
            "checkout__since",
            "checkout__on_web");
  }

  @Test
  void a_missing_or_mistyped_request_field_is_a_400_naming_it() {
    assertRejected(
        "{\"feature_service\": \"checkout\", \"entities\": {\"user_id\": [\"u\"]},"
            + " \"request_context\": {\"amount\": [1], \"platform\": [\"web\"]}}",
        "missing_request_field",
        "request_context.at",
        "feature service 'checkout' needs request field 'at' (INT64): add \"at\": [...] to"
            + " request_context (or to entities), one value per entity row");
    assertRejected(
        "{\"feature_service\": \"checkout\", \"entities\": {\"user_id\": [\"u\"]},"
            + " \"request_context\": {\"amount\": [\"12\"], \"at\": [1], \"platform\": [\"web\"]}}",
        "invalid_request_field",
        "request_context.amount[0]",
        "request_context.amount[0] must be a number, got a string (or null)");
    assertRejected(
        "{\"feature_service\": \"checkout\", \"entities\": {\"user_id\": [\"u\"], \"at\": [1.5]},"
            + " \"request_context\": {\"amount\": [1], \"platform\": [\"web\"]}}",
        "invalid_request_field",
        "entities.at[0]",
        "entities.at[0] must be a whole number (INT64, e.g. epoch milliseconds), got a number (or"
            + " null)");
    assertRejected(
        "{\"feature_service\": \"checkout\", \"entities\": {\"user_id\": [\"u\", \"v\"]},"
            + " \"request_context\": {\"amount\": [1], \"at\": [1, 2], \"platform\": [\"a\","
            + " \"b\"]}}",
        "bad_request",
        "request_context.amount",
        "request_context.amount has 1 values but there are 2 entity rows (give one value per"
            + " entity row, null for none)");
  }

  @Test
  void get_by_feature_service_computes_the_same_on_demand_features_from_the_query() {
    JsonNode post =
        GatewayClient.json(
            ok(
                "{\"feature_service\": \"checkout\", \"entities\": {\"user_id\":"
                    + " [\"user_42\"]}, \"request_context\": {\"amount\": [10], \"at\": [1],"
                    + " \"platform\": [\"web\"]}}"));
    HttpResponse<String> get =
        fixture.client.get("/feature-services/checkout/user_42?amount=10&at=1&platform=web");
    assertThat(get.statusCode()).as(get.body()).isEqualTo(200);
    JsonNode onDemand = GatewayClient.json(get).get("on_demand");
    assertThat(onDemand).as(get.body()).isNotNull();
    assertThat(onDemand.get("amount_share").toString())
        .isEqualTo(post.get("results").get(2).get("values").get(0).toString())
        .isEqualTo("0.25");
    assertThat(onDemand.get("on_web").toString()).isEqualTo("true");
    // seconds since epoch millisecond 1 at the gateway's clock, as POST writes it
    assertThat(get.body()).containsPattern("\"since\":\\d{10}(\\.\\d+)?[,}]");
    HttpResponse<String> nobody =
        fixture.client.get("/feature-services/checkout/nobody?amount=10&at=1&platform=ios");
    JsonNode missing = GatewayClient.json(nobody).get("on_demand");
    assertThat(missing.get("amount_share").isNull()).as(nobody.body()).isTrue();
    assertThat(missing.get("on_web").toString()).isEqualTo("false");
  }

  @Test
  void get_by_feature_service_names_a_missing_or_mistyped_query_parameter() {
    assertGetRejected(
        "/feature-services/checkout/user_42?amount=10&platform=web",
        "missing_request_field",
        "query.at",
        "feature service 'checkout' needs request field 'at' (INT64): add ?at=<value> to the URL");
    assertGetRejected(
        "/feature-services/checkout/user_42?amount=ten&at=1&platform=web",
        "invalid_request_field",
        "query.amount",
        "query.amount must be a finite decimal number, e.g. 42.5, got 'ten'");
    assertGetRejected(
        "/feature-services/checkout/user_42?amount=1&at=1.5&platform=web",
        "invalid_request_field",
        "query.at",
        "query.at must be a whole number within 64 bits (INT64, e.g. epoch milliseconds), got"
            + " '1.5'");
  }

  private static void assertGetRejected(String path, String code, String field, String message) {
    HttpResponse<String> r = fixture.client.get(path);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    JsonNode json = GatewayClient.json(r);
    assertThat(json.get("error").asText()).isEqualTo(code);
    assertThat(json.get("field").asText()).isEqualTo(field);
    assertThat(json.get("message").asText()).isEqualTo(message);
  }

  private static HttpResponse<String> ok(String body) {
    HttpResponse<String> r = fixture.client.post("/get-online-features", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r;
  }

  private static void assertRejected(String body, String code, String field, String message) {
    HttpResponse<String> r = fixture.client.post("/get-online-features", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    JsonNode json = GatewayClient.json(r);
    assertThat(json.get("error").asText()).isEqualTo(code);
    assertThat(json.get("field").asText()).isEqualTo(field);
    assertThat(json.get("message").asText()).isEqualTo(message);
  }

  private static List<String> names(JsonNode answer) {
    List<String> names = new ArrayList<>();
    answer.get("metadata").get("feature_names").forEach(n -> names.add(n.asText()));
    return names;
  }

  /** The on-demand columns (the last three) as text. */
  private static List<String> onDemand(JsonNode answer) {
    List<String> out = new ArrayList<>();
    JsonNode results = answer.get("results");
    for (int i = results.size() - 3; i < results.size(); i++) {
      out.add(results.get(i).toString());
    }
    return out;
  }
}
