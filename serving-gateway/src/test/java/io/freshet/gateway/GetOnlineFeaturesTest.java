package io.freshet.gateway;

import static io.freshet.gateway.GatewayClient.json;
import static io.freshet.gateway.GatewayFixture.recentWindowEnd;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.EntityKey;
import io.freshet.storage.FeatureRow;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /get-online-features} against a real Redis, written as the Flink job writes it: the
 * Feast request and answer shape, every field status, many entities and views per request read with
 * one run of the row read script, and feature services.
 */
class GetOnlineFeaturesTest {
  private static final String EPOCH = "1970-01-01T00:00:00Z";

  private static GatewayFixture fixture;
  private static ViewPlan activity;
  private static ViewPlan live;
  private static ViewPlan products;
  private static GatewayClient client;

  @BeforeAll
  static void start() throws IOException {
    fixture =
        new GatewayFixture(
            config ->
                config.withFeatureServices(
                    FeatureServiceResolver.of(
                        Map.of(
                            "checkout_model",
                            List.of(
                                "user_activity:revenue_1h",
                                "user_activity_live:event_count_1h",
                                "user_activity:conversion_rate_1h"),
                            "broken_model",
                            List.of("user_activity:event_count_1h", "user_activity:nope")))));
    activity = fixture.gateway.catalog().orElseThrow().plan("user_activity");
    live = fixture.gateway.catalog().orElseThrow().plan("user_activity_live");
    products = fixture.gateway.catalog().orElseThrow().plan("tenant_products");
    client = fixture.client;
  }

  @AfterAll
  static void stop() throws IOException {
    if (fixture != null) {
      fixture.close();
    }
  }

  @BeforeEach
  void flush() {
    fixture.table.flushDb();
  }

  @Test
  void answers_a_request_sent_exactly_as_feasts_python_client_sends_it() {
    long ts = recentWindowEnd();
    long earlier = ts - Duration.ofMinutes(15).toMillis();
    long liveTs = ts + Duration.ofMinutes(1).toMillis();
    fixture.table.write(activity, ActivityRows.of("user_42", ts, 12, 1, 19.99));
    fixture.table.write(activity, ActivityRows.of("josé", earlier, 3, 0, 0.0));
    fixture.table.write(live, ActivityRows.of("user_42", liveTs, 4, 2, 5.0));
    // json.dumps(...) with its default separators and ASCII escapes, posted by requests.post(url,
    // data=body): no Content-Type header, keep-alive, gzip accepted.
    String body =
        "{\"features\": [\"user_activity:event_count_1h\", \"user_activity:revenue_1h\","
            + " \"user_activity:last_platform\", \"user_activity_live:purchase_count_1h\"],"
            + " \"entities\": {\"user_id\": [\"user_42\", \"jos\\u00e9\", \"nobody\"]}}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head =
        "POST /get-online-features HTTP/1.1\r\n"
            + "Host: 127.0.0.1:"
            + client.port()
            + "\r\n"
            + "User-Agent: python-requests/2.32.3\r\n"
            + "Accept-Encoding: gzip, deflate\r\n"
            + "Accept: */*\r\n"
            + "Connection: keep-alive\r\n"
            + "Content-Length: "
            + bytes.length
            + "\r\n\r\n";
    int mark = fixture.commands().size();

    GatewayClient.RawResponse response = client.raw(concat(head, bytes));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.headers()).containsEntry("content-type", "application/json");
    JsonNode answer = response.json();
    assertThat(fieldNames(answer)).containsExactly("metadata", "results");
    assertThat(texts(answer.get("metadata").get("feature_names")))
        .containsExactly(
            "user_id", "event_count_1h", "revenue_1h", "last_platform", "purchase_count_1h");
    JsonNode results = answer.get("results");
    assertThat(results).hasSize(5);
    for (JsonNode column : results) {
      assertThat(fieldNames(column)).containsExactly("values", "statuses", "event_timestamps");
    }
    String at = Instant.ofEpochMilli(ts).toString();
    String before = Instant.ofEpochMilli(earlier).toString();
    assertColumn(
        results.get(0),
        "[\"user_42\",\"josé\",\"nobody\"]",
        List.of("PRESENT", "PRESENT", "PRESENT"),
        List.of(EPOCH, EPOCH, EPOCH));
    assertColumn(
        results.get(1),
        "[12,3,null]",
        List.of("PRESENT", "PRESENT", "NOT_FOUND"),
        List.of(at, before, EPOCH));
    assertThat(results.get(1).get("values").get(0).isIntegralNumber()).isTrue();
    assertColumn(
        results.get(2),
        "[19.99,0.0,null]",
        List.of("PRESENT", "PRESENT", "NOT_FOUND"),
        List.of(at, before, EPOCH));
    assertThat(results.get(2).get("values").get(0).isFloatingPointNumber()).isTrue();
    assertColumn(
        results.get(3),
        "[\"web\",\"web\",null]",
        List.of("PRESENT", "PRESENT", "NOT_FOUND"),
        List.of(at, before, EPOCH));
    assertColumn(
        results.get(4),
        "[2,null,null]",
        List.of("PRESENT", "NOT_FOUND", "NOT_FOUND"),
        List.of(Instant.ofEpochMilli(liveTs).toString(), EPOCH, EPOCH));
    List<RespCommandLog.Command> sent = fixture.commandsSince(mark);
    assertThat(sent).extracting(RespCommandLog.Command::rowRead).containsExactly(true);
    assertThat(sent.get(0).scriptKeys())
        .containsExactlyInAnyOrder(
            OnlineKeys.key(activity, "user_42"),
            OnlineKeys.key(activity, "josé"),
            OnlineKeys.key(activity, "nobody"),
            OnlineKeys.key(live, "user_42"),
            OnlineKeys.key(live, "josé"),
            OnlineKeys.key(live, "nobody"));
  }

  @Test
  void every_field_status_in_one_request() {
    long ts = recentWindowEnd();
    fixture.table.write(activity, ActivityRows.of("fresh", ts, 12, 1, 19.99));
    fixture.table.write(
        activity,
        new FeatureRow("sparse", ts, new Object[] {3L, null, null, 1L, null, null, 0.0, null}));
    long old = Instant.now().minus(activity.ttl()).minus(Duration.ofHours(1)).toEpochMilli();
    long keptUntil = Instant.now().plus(Duration.ofMinutes(5)).toEpochMilli();
    fixture.table.writeExpiringAt(activity, ActivityRows.of("stale", old, 5, 2, 7.5), keptUntil);
    fixture.table.writeRaw(OnlineKeys.key(activity, "corrupt"), new byte[] {9, 0, 0, 0});

    JsonNode answer =
        ok(
            "{\"features\": [\"user_activity:event_count_1h\","
                + " \"user_activity:purchase_count_1h\"], \"entities\": {\"user_id\":"
                + " [\"fresh\", \"sparse\", \"missing\", \"stale\", \"corrupt\"]}}");

    JsonNode events = answer.get("results").get(1);
    JsonNode purchases = answer.get("results").get(2);
    assertThat(texts(events.get("statuses")))
        .containsExactly("PRESENT", "PRESENT", "NOT_FOUND", "OUTSIDE_MAX_AGE", "INVALID");
    assertThat(events.get("values").toString()).isEqualTo("[12,3,null,5,null]");
    assertThat(texts(purchases.get("statuses")))
        .containsExactly("PRESENT", "NULL_VALUE", "NOT_FOUND", "OUTSIDE_MAX_AGE", "INVALID");
    assertThat(purchases.get("values").toString()).isEqualTo("[1,null,null,2,null]");
    assertThat(texts(purchases.get("event_timestamps")))
        .containsExactly(
            Instant.ofEpochMilli(ts).toString(),
            Instant.ofEpochMilli(ts).toString(),
            EPOCH,
            Instant.ofEpochMilli(old).toString(),
            EPOCH);
  }

  @Test
  void many_entities_over_three_views_are_read_with_one_row_read() {
    long ts = recentWindowEnd();
    int n = 250;
    for (int i = 0; i < n; i++) {
      String user = "u" + i;
      if (i % 2 == 0) {
        fixture.table.write(activity, ActivityRows.of(user, ts, i, i / 2, i * 1.5));
      }
      if (i % 3 == 0) {
        fixture.table.write(live, ActivityRows.of(user, ts, 1000L + i, 0, 0.0));
      }
      if (i % 5 == 0) {
        fixture.table.write(
            products,
            new FeatureRow(
                EntityKey.of(List.of("acme", user)),
                ts,
                new Object[] {List.of("p" + i, "p" + (i + 1), "東京"), (long) i}));
      }
    }
    String users =
        IntStream.range(0, n).mapToObj(i -> "\"u" + i + "\"").collect(Collectors.joining(","));
    String tenants =
        IntStream.range(0, n).mapToObj(i -> "\"acme\"").collect(Collectors.joining(","));
    int mark = fixture.commands().size();

    JsonNode answer =
        ok(
            "{\"features\": [\"user_activity:event_count_1h\", \"user_activity:revenue_1h\","
                + " \"user_activity_live:purchase_count_1h\","
                + " \"tenant_products:recent_products\"],"
                + " \"full_feature_names\": true,"
                + " \"entities\": {\"tenant_id\": ["
                + tenants
                + "], \"user_id\": ["
                + users
                + "]}}");

    assertThat(texts(answer.get("metadata").get("feature_names")))
        .containsExactly(
            "tenant_id",
            "user_id",
            "user_activity__event_count_1h",
            "user_activity__revenue_1h",
            "user_activity_live__purchase_count_1h",
            "tenant_products__recent_products");
    JsonNode results = answer.get("results");
    for (int i = 0; i < n; i++) {
      assertThat(results.get(1).get("values").get(i).textValue()).isEqualTo("u" + i);
      JsonNode events = results.get(2);
      JsonNode recent = results.get(5);
      if (i % 2 == 0) {
        assertThat(events.get("values").get(i).longValue()).isEqualTo(i);
        assertThat(results.get(3).get("values").get(i).doubleValue()).isEqualTo(i * 1.5);
      } else {
        assertThat(events.get("statuses").get(i).textValue()).isEqualTo("NOT_FOUND");
      }
      assertThat(results.get(4).get("statuses").get(i).textValue())
          .isEqualTo(i % 3 == 0 ? "PRESENT" : "NOT_FOUND");
      if (i % 5 == 0) {
        assertThat(recent.get("values").get(i).toString())
            .isEqualTo("[\"p" + i + "\",\"p" + (i + 1) + "\",\"東京\"]");
      } else {
        assertThat(recent.get("values").get(i).isNull()).isTrue();
      }
    }
    List<RespCommandLog.Command> sent = fixture.commandsSince(mark);
    assertThat(sent).extracting(RespCommandLog.Command::rowRead).containsExactly(true);
    assertThat(sent.get(0).scriptKeys()).hasSize(3 * n).doesNotHaveDuplicates();
  }

  @Test
  void repeated_entities_are_read_once_and_answered_in_every_row() {
    fixture.table.write(activity, ActivityRows.of("a", recentWindowEnd(), 7, 0, 0.0));
    int mark = fixture.commands().size();

    JsonNode answer =
        ok(
            "{\"features\": [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\":"
                + " [\"a\", \"a\", \"b\", \"a\"]}}");

    assertThat(answer.get("results").get(1).get("values").toString()).isEqualTo("[7,7,null,7]");
    assertThat(fixture.commandsSince(mark).get(0).scriptKeys()).hasSize(2);
    JsonNode instants = answer.get("metadata").get("request_instants");
    assertThat(instants).as("one instant per entity row").hasSize(4);
    assertThat(instants)
        .as("one read, one instant")
        .extracting(JsonNode::textValue)
        .containsOnly(instants.get(0).textValue());
  }

  @Test
  void integer_entity_values_are_looked_up_as_decimal_text_and_echoed_as_sent() {
    fixture.table.write(activity, ActivityRows.of("1001", recentWindowEnd(), 5, 1, 2.0));
    fixture.table.write(
        activity, ActivityRows.of("12345678901234567890", recentWindowEnd(), 6, 1, 2.0));

    JsonNode answer =
        ok(
            "{\"features\": [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\":"
                + " [1001, \"1001\", 12345678901234567890, -0]}}");

    JsonNode entity = answer.get("results").get(0).get("values");
    assertThat(entity.toString()).isEqualTo("[1001,\"1001\",12345678901234567890,0]");
    assertThat(entity.get(0).isIntegralNumber()).isTrue();
    assertThat(answer.get("results").get(1).get("values").toString()).isEqualTo("[5,5,6,null]");
  }

  @Test
  void a_compound_join_key_reads_the_joined_entity_key() {
    fixture.table.write(
        products,
        new FeatureRow(
            EntityKey.of(List.of("acme", "u1")), recentWindowEnd(), new Object[] {List.of(), 0L}));

    JsonNode answer =
        ok(
            "{\"features\": [\"tenant_products:recent_products\","
                + " \"tenant_products:event_count_1h\"], \"entities\": {\"user_id\": [\"u1\","
                + " \"u1\"], \"tenant_id\": [\"acme\", \"other\"]}}");

    assertThat(texts(answer.get("metadata").get("feature_names")))
        .containsExactly("user_id", "tenant_id", "recent_products", "event_count_1h");
    assertThat(answer.get("results").get(2).get("values").toString()).isEqualTo("[[],null]");
    assertThat(texts(answer.get("results").get(3).get("statuses")))
        .containsExactly("PRESENT", "NOT_FOUND");
  }

  @Test
  void a_feature_service_answers_its_features_in_its_order() {
    long ts = recentWindowEnd();
    fixture.table.write(activity, ActivityRows.of("user_42", ts, 10, 2, 30.0));
    fixture.table.write(live, ActivityRows.of("user_42", ts, 3, 0, 0.0));
    int mark = fixture.commands().size();

    JsonNode answer =
        ok("{\"feature_service\": \"checkout_model\", \"entities\": {\"user_id\": [\"user_42\"]}}");

    assertThat(texts(answer.get("metadata").get("feature_names")))
        .containsExactly("user_id", "revenue_1h", "event_count_1h", "conversion_rate_1h");
    assertThat(answer.get("results").get(1).get("values").toString()).isEqualTo("[30.0]");
    assertThat(answer.get("results").get(2).get("values").toString()).isEqualTo("[3]");
    assertThat(answer.get("results").get(3).get("values").toString()).isEqualTo("[0.2]");
    assertThat(fixture.commandsSince(mark))
        .extracting(RespCommandLog.Command::rowRead)
        .containsExactly(true);
  }

  @Test
  void an_unknown_feature_service_is_400_listing_the_known_ones() {
    HttpResponse<String> response =
        client.post(
            "/get-online-features",
            "{\"feature_service\": \"nope\", \"entities\": {\"user_id\": [\"u\"]}}");

    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode body = json(response);
    assertThat(body.get("error").asText()).isEqualTo("unknown_feature_service");
    assertThat(body.get("field").asText()).isEqualTo("feature_service");
    assertThat(body.get("value").asText()).isEqualTo("nope");
    assertThat(body.get("message").asText())
        .startsWith("unknown feature service 'nope' (known services: ")
        .contains("checkout_model", "broken_model");
  }

  @Test
  void a_service_naming_a_missing_feature_is_a_server_fault_naming_it() {
    HttpResponse<String> response =
        client.post(
            "/get-online-features",
            "{\"feature_service\": \"broken_model\", \"entities\": {\"user_id\": [\"u\"]}}");

    assertThat(response.statusCode()).isEqualTo(500);
    JsonNode body = json(response);
    assertThat(body.get("error").asText()).isEqualTo("invalid_feature_service");
    assertThat(body.get("message").asText())
        .startsWith(
            "feature service 'broken_model' lists user_activity:nope, which the gateway cannot"
                + " serve: feature view 'user_activity' has no feature 'nope'");
  }

  @Test
  void two_columns_of_one_name_need_full_feature_names() {
    HttpResponse<String> response =
        client.post(
            "/get-online-features",
            "{\"features\": [\"user_activity:event_count_1h\","
                + " \"user_activity_live:event_count_1h\"], \"entities\": {\"user_id\": [\"u\"]}}");

    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode body = json(response);
    assertThat(body.get("field").asText()).isEqualTo("features[1]");
    assertThat(body.get("message").asText())
        .isEqualTo(
            "'user_activity:event_count_1h' and 'user_activity_live:event_count_1h' would both be"
                + " answered as 'event_count_1h' (set \"full_feature_names\": true to name columns"
                + " view__feature)");
  }

  @Test
  void get_feature_service_answers_each_view_for_curl() {
    long ts = recentWindowEnd();
    fixture.table.write(activity, ActivityRows.of("user 42", ts, 10, 2, 30.0));

    HttpResponse<String> response =
        client.get("/feature-services/checkout_model/" + GatewayClient.encodeSegment("user 42"));

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = json(response);
    assertThat(fieldNames(body)).containsExactly("feature_service", "entity", "views");
    assertThat(body.get("entity").asText()).isEqualTo("user 42");
    JsonNode views = body.get("views");
    assertThat(views).hasSize(2);
    String instant = views.get(0).get("request_instant").textValue();
    assertThat(instant).as("one read for the entity's keys").matches(".*\\.\\d{6}Z");
    assertThat(views.get(0).toString())
        .isEqualTo(
            "{\"view\":\"user_activity\",\"version\":\""
                + activity.versionTag()
                + "\",\"feature_ts\":\""
                + Instant.ofEpochMilli(ts)
                + "\",\"status\":\"PRESENT\",\"request_instant\":\""
                + instant
                + "\",\"features\":{\"revenue_1h\":30.0,"
                + "\"conversion_rate_1h\":0.2}}");
    assertThat(views.get(1).toString())
        .isEqualTo(
            "{\"view\":\"user_activity_live\",\"version\":\""
                + live.versionTag()
                + "\",\"feature_ts\":null,\"status\":\"NOT_FOUND\",\"request_instant\":\""
                + instant
                + "\",\"features\":"
                + "{\"event_count_1h\":null}}");
  }

  @Test
  void get_unknown_feature_service_is_404() {
    HttpResponse<String> response = client.get("/feature-services/nope/user_42");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(json(response).get("error").asText()).isEqualTo("unknown_feature_service");
    assertThat(json(response).get("field").asText()).isEqualTo("name");
  }

  private static JsonNode ok(String body) {
    HttpResponse<String> response = client.post("/get-online-features", body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return json(response);
  }

  private static void assertColumn(
      JsonNode column, String values, List<String> statuses, List<String> timestamps) {
    assertThat(column.get("values").toString()).isEqualTo(values);
    assertThat(texts(column.get("statuses"))).isEqualTo(statuses);
    assertThat(texts(column.get("event_timestamps"))).isEqualTo(timestamps);
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(e -> out.add(e.asText()));
    return out;
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static byte[] concat(String head, byte[] body) {
    byte[] h = head.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[h.length + body.length];
    System.arraycopy(h, 0, all, 0, h.length);
    System.arraycopy(body, 0, all, h.length, body.length);
    return all;
  }
}
