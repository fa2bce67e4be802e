package io.freshet.gateway;

import static io.freshet.gateway.GatewayClient.encodeSegment;
import static io.freshet.gateway.GatewayClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.examples.UserActivity;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.Catalog;
import io.freshet.plan.DerivedValues;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestRedis;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gateway's HTTP contract against a real Redis, written to as the Flink job writes it. */
class GatewayServerTest {
  private static final int DB = 1;

  private static Catalog catalog;
  private static ViewPlan userActivity;
  private static OnlineTableWriter table;
  private static GatewayServer gateway;
  private static GatewayClient client;

  @BeforeAll
  static void startGateway() {
    catalog = Catalog.load(GatewayServerTest.class.getClassLoader());
    userActivity = catalog.plan("user_activity");
    table = new OnlineTableWriter(TestRedis.uri(DB));
    table.flushDb();
    gateway = GatewayServer.start(new GatewayConfig(0, TestRedis.uri(DB), catalog));
    client = new GatewayClient(gateway.port());
  }

  @AfterAll
  static void stopGateway() {
    if (gateway != null) {
      gateway.close();
    }
    if (table != null) {
      table.close();
    }
  }

  /** A window end within the view's TTL: the last full hour. */
  private static long recentWindowEnd() {
    return Instant.now().truncatedTo(ChronoUnit.HOURS).toEpochMilli();
  }

  @Test
  void returns_latest_values_as_typed_json() {
    long ts = recentWindowEnd();
    table.write(userActivity, ActivityRows.of("user_42", ts, 12, 1, 19.99));

    HttpResponse<String> response = client.get("/features/user_activity/user_42");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode body = json(response);
    assertThat(fieldNames(body))
        .containsExactly(
            "view", "version", "entity", "feature_ts", "status", "request_instant", "features");
    assertThat(body.get("request_instant").asText()).matches("\\d{4}-.*T.*\\.\\d{6}Z");
    assertThat(body.get("view").asText()).isEqualTo("user_activity");
    assertThat(body.get("version").asText()).isEqualTo(userActivity.versionTag());
    assertThat(body.get("entity").asText()).isEqualTo("user_42");
    assertThat(body.get("feature_ts").asText()).isEqualTo(Instant.ofEpochMilli(ts).toString());
    assertThat(body.get("status").asText()).isEqualTo("PRESENT");
    JsonNode features = body.get("features");
    assertThat(fieldNames(features)).containsExactly(ActivityRows.FEATURES);
    assertThat(features.get("event_count_1h").isIntegralNumber()).isTrue();
    assertThat(features.get("event_count_1h").longValue()).isEqualTo(12L);
    assertThat(features.get("purchase_count_1h").longValue()).isEqualTo(1L);
    assertThat(features.get("revenue_1h").isFloatingPointNumber()).isTrue();
    assertThat(features.get("revenue_1h").doubleValue()).isEqualTo(19.99);
    assertThat(features.get("session_count_1h").longValue()).isEqualTo(2L);
    assertThat(features.get("unique_products_1h").longValue()).isEqualTo(1L);
    assertThat(features.get("last_platform").textValue()).isEqualTo("web");
    assertThat(features.get("conversion_rate_1h").doubleValue()).isEqualTo(1.0 / 12);
    assertThat(features.get("avg_revenue_per_purchase_1h").doubleValue()).isEqualTo(19.99);
  }

  @Test
  void codec_values_round_trip_exactly_through_http() {
    long ts = recentWindowEnd() - 1;
    // The derived ratios are not stored: the reader recomputes them from the aggregated values,
    // which are chosen so that the ratios are extreme doubles too.
    FeatureRow written =
        withDerived(
            "extremes",
            ts,
            new Object[] {Long.MAX_VALUE, Long.MIN_VALUE, 0.1 + 0.2, 0L, -1L, "", null, null});
    FeatureRow huge =
        withDerived(
            "huge", ts, new Object[] {3L, 1L, Double.MAX_VALUE, 0L, -1L, "\u0000", null, null});
    FeatureRow tiny =
        withDerived(
            "tiny", ts, new Object[] {0L, -1L, Double.MIN_VALUE, 1L, 1L, "\u0000\"\\", null, null});
    FeatureRow negativeZero =
        withDerived(
            "negative_zero", ts, new Object[] {1L, 0L, -0.0, 1L, 0L, "東京 😀 \u200f", null, null});
    assertThat(huge.values()[7]).isEqualTo(Double.MAX_VALUE);
    assertThat(tiny.values()[7]).isEqualTo(-Double.MIN_VALUE);
    for (FeatureRow row : List.of(written, huge, tiny, negativeZero)) {
      table.write(userActivity, row);

      JsonNode body = json(client.get("/features/user_activity/" + row.entityKey()));

      assertThat(rowOf(userActivity, body)).isEqualTo(row);
    }
  }

  @Test
  void golden_v2_values_are_served_as_golden_json() throws IOException {
    List<String> lines;
    try (InputStream in =
        GatewayServerTest.class.getResourceAsStream("/golden/user_activity.online-v2.txt")) {
      lines =
          new String(in.readAllBytes(), StandardCharsets.UTF_8)
              .lines()
              .filter(l -> !l.startsWith("#") && !l.isBlank())
              .toList();
    }
    assertThat(lines).hasSize(6);
    String key = OnlineKeys.key(userActivity, "golden_42");
    for (int i = 0; i < lines.size(); i += 2) {
      table.writeRaw(key, HexFormat.of().parseHex(lines.get(i)));

      HttpResponse<String> response = client.get("/features/user_activity/golden_42");

      assertThat(response.statusCode()).isEqualTo(200);
      java.util.regex.Matcher instant =
          java.util.regex.Pattern.compile(
                  "\"request_instant\":\"(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z)\"")
              .matcher(response.body());
      assertThat(instant.find()).as(response.body()).isTrue();
      assertThat(response.body())
          .isEqualTo(
              lines
                  .get(i + 1)
                  .replace("{version}", userActivity.versionTag())
                  .replace("{request_instant}", instant.group(1)));
    }
  }

  @Test
  void null_values_are_json_nulls_in_plan_order() {
    table.write(
        userActivity,
        new FeatureRow(
            "sparse", recentWindowEnd(), new Object[] {3L, null, null, 0L, null, null, 0.0, null}));

    JsonNode features = json(client.get("/features/user_activity/sparse")).get("features");

    assertThat(fieldNames(features)).containsExactly(ActivityRows.FEATURES);
    assertThat(features.get("event_count_1h").longValue()).isEqualTo(3L);
    assertThat(features.get("purchase_count_1h").isNull()).isTrue();
    assertThat(features.get("revenue_1h").isNull()).isTrue();
    assertThat(features.get("session_count_1h").longValue()).isZero();
    assertThat(features.get("unique_products_1h").isNull()).isTrue();
    assertThat(features.get("last_platform").isNull()).isTrue();
    assertThat(features.get("conversion_rate_1h").doubleValue()).isZero();
    assertThat(features.get("avg_revenue_per_purchase_1h").isNull()).isTrue();
  }

  @Test
  void row_older_than_ttl_is_served_as_outside_max_age() {
    Duration ttl = userActivity.ttl();
    long ts = Instant.now().minus(ttl).minus(Duration.ofHours(1)).toEpochMilli();
    long stillStoredUntil = Instant.now().plus(Duration.ofMinutes(5)).toEpochMilli();
    table.writeExpiringAt(userActivity, ActivityRows.of("stale", ts, 5, 2, 7.5), stillStoredUntil);

    HttpResponse<String> response = client.get("/features/user_activity/stale");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = json(response);
    assertThat(body.get("status").asText()).isEqualTo("OUTSIDE_MAX_AGE");
    assertThat(body.get("feature_ts").asText()).isEqualTo(Instant.ofEpochMilli(ts).toString());
    assertThat(body.get("features").get("revenue_1h").doubleValue()).isEqualTo(7.5);
  }

  @Test
  void entity_with_space_braces_slash_and_unicode_is_url_decoded() {
    String entity = "user {42}/ é 東京 😀";
    table.write(userActivity, ActivityRows.of(entity, recentWindowEnd(), 1, 0, 0.0));

    HttpResponse<String> response = client.get("/features/user_activity/" + encodeSegment(entity));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response).get("entity").asText()).isEqualTo(entity);
  }

  @Test
  void plus_in_a_path_segment_stays_a_plus() {
    table.write(userActivity, ActivityRows.of("a+b", recentWindowEnd(), 2, 0, 0.0));

    HttpResponse<String> response = client.get("/features/user_activity/a+b");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response).get("entity").asText()).isEqualTo("a+b");
  }

  @Test
  void views_read_only_their_own_version_of_an_entity() {
    table.write(userActivity, ActivityRows.of("only_hourly", recentWindowEnd(), 1, 1, 1.0));

    HttpResponse<String> response = client.get("/features/user_activity_live/only_hourly");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(json(response).get("error").asText()).isEqualTo("not_found");
  }

  @Test
  void unknown_view_is_404_with_json() {
    HttpResponse<String> response = client.get("/features/nope/user_42");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode body = json(response);
    assertThat(fieldNames(body)).containsExactly("error", "field", "value", "message");
    assertThat(body.get("error").asText()).isEqualTo("unknown_view");
    assertThat(body.get("field").asText()).isEqualTo("view");
    assertThat(body.get("value").asText()).isEqualTo("nope");
    assertThat(body.get("message").asText())
        .isEqualTo(
            "unknown feature view 'nope' (known views: [user_activity, user_activity_live,"
                + " user_lifetime, user_profile])");
  }

  @Test
  void unknown_entity_is_404_with_json() {
    HttpResponse<String> response =
        client.get("/features/user_activity/" + encodeSegment("nobody here"));

    assertThat(response.statusCode()).isEqualTo(404);
    JsonNode body = json(response);
    assertThat(body.get("error").asText()).isEqualTo("not_found");
    assertThat(body.get("field").asText()).isEqualTo("entity");
    assertThat(body.get("value").asText()).isEqualTo("nobody here");
    assertThat(body.get("message").asText())
        .isEqualTo("no features for entity 'nobody here' in view 'user_activity'");
  }

  @Test
  void unescaped_utf8_in_the_path_is_read_as_curl_sends_it() {
    String entity = "josé_東京";
    table.write(userActivity, ActivityRows.of(entity, recentWindowEnd(), 6, 0, 0.0));

    GatewayClient.RawResponse response = client.rawGet("/features/user_activity/" + entity);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.json().get("entity").asText()).isEqualTo(entity);
  }

  @Test
  void malformed_percent_escape_is_400_naming_the_field_and_value() {
    GatewayClient.RawResponse response = client.rawGet("/features/user_activity/user%2");

    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode body = response.json();
    assertThat(body.get("error").asText()).isEqualTo("bad_request");
    assertThat(body.get("field").asText()).isEqualTo("entity");
    assertThat(body.get("value").asText()).isEqualTo("user%2");
    assertThat(body.get("message").asText())
        .isEqualTo(
            "entity path segment 'user%2': incomplete percent escape at position 4 (a '%' must be"
                + " followed by two hex digits; write a literal '%' as %25)");
  }

  @Test
  void escapes_that_are_not_utf8_are_400_naming_the_view() {
    HttpResponse<String> response = client.get("/features/user%C3%28activity/user_42");

    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode body = json(response);
    assertThat(body.get("field").asText()).isEqualTo("view");
    assertThat(body.get("value").asText()).isEqualTo("user%C3%28activity");
  }

  @Test
  void empty_entity_is_400_naming_the_field() {
    HttpResponse<String> response = client.get("/features/user_activity/");

    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode body = json(response);
    assertThat(body.get("field").asText()).isEqualTo("entity");
    assertThat(body.get("message").asText())
        .isEqualTo("entity key is empty (GET /features/user_activity/{entity})");
  }

  @Test
  void corrupt_online_value_is_500_json_naming_the_problem() {
    String key = OnlineKeys.key(userActivity, "corrupt");
    table.writeRaw(key, new byte[] {9, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0});

    HttpResponse<String> response = client.get("/features/user_activity/corrupt");

    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode body = json(response);
    assertThat(body.get("error").asText()).isEqualTo("undecodable_online_value");
    assertThat(body.get("message").asText())
        .startsWith("cannot decode online value at Redis key '" + key + "'")
        .contains("format version 9");
  }

  @Test
  void value_in_the_version_1_layout_is_500_naming_the_fix() {
    String key = OnlineKeys.key(userActivity, "old_layout");
    // Format version 1 stored the derived ratios too.
    table.writeRaw(
        key,
        HexFormat.of()
            .parseHex(
                "010000019421bcaa00080018024033fd70a3d70a3d060a03696f733fb55555555555554033fd70a3d70a3d"));

    HttpResponse<String> response = client.get("/features/user_activity/old_layout");

    assertThat(response.statusCode()).isEqualTo(500);
    JsonNode body = json(response);
    assertThat(body.get("error").asText()).isEqualTo("undecodable_online_value");
    assertThat(body.get("message").asText())
        .startsWith("cannot decode online value at Redis key '" + key + "'")
        .contains("format version 1, this reader expects 2")
        .contains("freshet restore-online");
  }

  @Test
  void health_is_up() {
    HttpResponse<String> response = client.get("/health");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"status\":\"UP\"}");
  }

  @Test
  void ready_when_redis_answers_ping() {
    HttpResponse<String> response = client.get("/ready");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response).get("status").asText()).isEqualTo("READY");
  }

  @Test
  void unknown_route_is_404_with_json() {
    for (String path :
        List.of(
            "/",
            "/nope",
            "/features/user_activity",
            "/features/a/b/c",
            "/console/api",
            "/console/api/views/a/b")) {
      HttpResponse<String> response = client.get(path);

      assertThat(response.statusCode()).as(path).isEqualTo(404);
      JsonNode body = json(response);
      assertThat(body.get("error").asText()).isEqualTo("no_route");
      assertThat(body.get("field").asText()).isEqualTo("path");
      assertThat(body.get("value").asText()).isEqualTo(path);
      assertThat(body.get("message").asText())
          .startsWith("no route for GET " + path)
          .endsWith(
              "(routes: POST /get-online-features, POST /push, GET /features/{view}/{entity},"
                  + " GET /feature-services/{name}/{entity}, GET /health, GET /ready,"
                  + " GET /metrics, GET /openapi.json, GET /console, GET /console/assets/{name},"
                  + " GET /console/api/catalog, GET /console/api/views/{view},"
                  + " GET /console/api/jobs)");
    }
  }

  @Test
  void wrong_method_is_405_with_json_and_allow_header() {
    for (String path : List.of("/health", "/ready", "/features/user_activity/user_42")) {
      HttpResponse<String> response = client.send("POST", path);

      assertThat(response.statusCode()).as(path).isEqualTo(405);
      assertThat(response.headers().firstValue("allow")).hasValue("GET");
      JsonNode body = json(response);
      assertThat(body.get("error").asText()).isEqualTo("method_not_allowed");
      assertThat(body.get("field").asText()).isEqualTo("method");
      assertThat(body.get("value").asText()).isEqualTo("POST");
      assertThat(body.get("message").asText())
          .isEqualTo("POST " + path + " is not allowed (use GET)");
    }
  }

  @Test
  void request_line_too_long_for_the_http_decoder_is_414_with_json() {
    GatewayClient.RawResponse response =
        client.rawGet("/features/user_activity/" + "x".repeat(10_000));

    assertThat(response.statusCode()).isEqualTo(414);
    JsonNode body = response.json();
    assertThat(body.get("error").asText()).isEqualTo("bad_request");
    assertThat(body.get("message").asText()).startsWith("the request line is too long");
  }

  /**
   * 200 lookups at once each get their own entity's row, answered 200. This gateway waits up to 30
   * s for Redis: the test is about concurrent answers not being mixed up, and on a loaded machine a
   * burst of 200 can wait longer than the default store timeout (250 ms), which answers 503 as it
   * should.
   */
  @Test
  void answers_many_concurrent_lookups() {
    long ts = recentWindowEnd();
    for (int i = 0; i < 50; i++) {
      table.write(userActivity, ActivityRows.of("c" + i, ts, i, 0, 0.0));
    }

    try (GatewayServer patient =
        GatewayServer.start(
            new GatewayConfig(0, TestRedis.uri(DB), catalog)
                .withLimits(GatewayLimits.defaults().withStoreTimeout(Duration.ofSeconds(30))))) {
      GatewayClient concurrent = new GatewayClient(patient.port());
      List<CompletableFuture<HttpResponse<String>>> answers =
          IntStream.range(0, 200)
              .mapToObj(
                  i ->
                      CompletableFuture.supplyAsync(
                          () -> concurrent.get("/features/user_activity/c" + (i % 50))))
              .toList();

      for (int i = 0; i < answers.size(); i++) {
        HttpResponse<String> answer = answers.get(i).join();
        assertThat(answer.statusCode()).as("lookup %d: %s", i, answer.body()).isEqualTo(200);
        JsonNode features = json(answer).get("features");
        assertThat(features.get("event_count_1h").longValue()).isEqualTo(i % 50);
      }
    }
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static List<String> stringList(JsonNode array) {
    List<String> list = new ArrayList<>();
    array.forEach(e -> list.add(e.textValue()));
    return List.copyOf(list);
  }

  /** The row a client reads back from a response, typed by the plan. */
  /** A row of user_activity whose derived values are computed from its aggregated ones. */
  private static FeatureRow withDerived(String entity, long featureTs, Object[] values) {
    DerivedValues.of(ViewPlan.of(UserActivity.view())).fill(values);
    return new FeatureRow(entity, featureTs, values);
  }

  private static FeatureRow rowOf(ViewPlan plan, JsonNode body) {
    List<FeaturePart> parts = plan.parts();
    Object[] values = new Object[parts.size()];
    for (FeaturePart part : parts) {
      JsonNode v = body.get("features").get(part.name());
      values[part.index()] =
          switch (part.type()) {
            case INT64 -> v.isNull() ? null : v.longValue();
            case FLOAT64 -> v.isNull() ? null : v.doubleValue();
            case STRING -> v.isNull() ? null : v.textValue();
            case STRING_LIST -> v.isNull() ? null : stringList(v);
          };
    }
    long ts = Instant.parse(body.get("feature_ts").asText()).toEpochMilli();
    return new FeatureRow(body.get("entity").asText(), ts, values);
  }
}
