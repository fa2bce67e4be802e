package io.freshet.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.OnDemandExpression;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Over a thousand generated malformed or hostile requests ({@link HostileRequests}): every one gets
 * a 4xx JSON error naming the problem, none a 5xx, none hangs, and the gateway serves normally
 * afterwards. Requests go over keep-alive connections, so a bad request must also leave its
 * connection usable (or close it with {@code Connection: close}).
 */
class GatewayBadInputTest {
  private static final long SEED = 20261123L;
  private static final Duration BODY_TIMEOUT = Duration.ofMillis(300);

  private static GatewayFixture fixture;

  /** A service with request data, which {@link HostileRequests} sends bad request data for. */
  static final FeatureService CHECKOUT =
      FeatureService.named("checkout")
          .features("user_activity:revenue_1h")
          .requestField("amount", FeatureType.FLOAT64)
          .requestField("at", FeatureType.INT64)
          .requestField("platform", FeatureType.STRING)
          .onDemand(
              "amount_share",
              OnDemandExpression.divide(
                  OnDemandExpression.field("amount"),
                  OnDemandExpression.feature("user_activity:revenue_1h"),
                  0))
          .onDemand("since", OnDemandExpression.secondsSince(OnDemandExpression.field("at")))
          .onDemand(
              "on_web",
              OnDemandExpression.equal(
                  OnDemandExpression.field("platform"), OnDemandExpression.text("web")))
          .build();

  @BeforeAll
  static void start() throws IOException {
    fixture =
        new GatewayFixture(
            config ->
                config
                    .withLimits(GatewayLimits.defaults().withBodyTimeout(BODY_TIMEOUT))
                    .withFeatureServices(FeatureServiceResolver.ofServices(List.of(CHECKOUT))));
    fixture.table.write(
        fixture.gateway.catalog().orElseThrow().plan("user_activity"),
        ActivityRows.of("user_42", GatewayFixture.recentWindowEnd(), 12, 1, 19.99));
  }

  @AfterAll
  static void stop() throws IOException {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void every_malformed_or_hostile_request_gets_a_4xx_json_error_naming_the_problem()
      throws IOException {
    List<HostileRequests.Case> cases =
        new HostileRequests(SEED, fixture.client.port()).generate(1_000);
    assertThat(cases).hasSizeGreaterThanOrEqualTo(1_000);
    List<String> failures = new ArrayList<>();
    Map<String, Integer> statuses = new TreeMap<>();
    long start = System.nanoTime();
    try (KeepAliveConnection connection = new KeepAliveConnection(fixture.client.port())) {
      for (HostileRequests.Case c : cases) {
        String problem = check(c, connection, statuses);
        if (problem != null) {
          failures.add(c.kind() + " / " + c.description() + ": " + problem);
        }
      }
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf(
        "bad input: %d requests in %d ms, statuses %s, %d failures%n",
        cases.size(), millis, statuses, failures.size());

    assertThat(failures).as("requests not answered with a 4xx JSON error").isEmpty();
    HttpResponse<String> after =
        fixture.client.post(
            "/get-online-features",
            "{\"features\": [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\":"
                + " [\"user_42\"]}}");
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(GatewayClient.json(after).get("results").get(1).get("values").get(0).longValue())
        .isEqualTo(12L);
    assertThat(fixture.client.get("/metrics").body()).doesNotContainPattern("status=\"5\\d\\d\"");
  }

  @Test
  void injection_looking_entity_values_are_data_that_matches_nothing() {
    for (String entity :
        List.of("*", "user_*", "{user_42}:*", "user_42\r\nFLUSHDB", "' OR 1=1 --")) {
      HttpResponse<String> response =
          fixture.client.post(
              "/get-online-features",
              "{\"features\": [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\": ["
                  + HostileRequests.quote(entity)
                  + "]}}");

      assertThat(response.statusCode()).as(entity).isEqualTo(200);
      JsonNode column = GatewayClient.json(response).get("results").get(1);
      assertThat(column.get("statuses").get(0).asText()).as(entity).isEqualTo("NOT_FOUND");
    }
    assertThat(fixture.client.get("/features/user_activity/user_42").statusCode()).isEqualTo(200);
  }

  /** Sends one case; null when the answer is right, else what is wrong with it. */
  private static String check(
      HostileRequests.Case c, KeepAliveConnection connection, Map<String, Integer> statuses) {
    GatewayClient.RawResponse response;
    try {
      response = connection.send(c.bytes());
    } catch (IOException e) {
      return "no answer within " + GatewayClient.REQUEST_TIMEOUT + ": " + e;
    }
    statuses.merge(Integer.toString(response.statusCode()), 1, Integer::sum);
    if (response.statusCode() < 400 || response.statusCode() > 499) {
      return "status " + response.statusCode() + ": " + clip(response.body());
    }
    if (!"application/json".equals(response.headers().get("content-type"))) {
      return "content type " + response.headers().get("content-type");
    }
    JsonNode body;
    try {
      body = GatewayClient.MAPPER.readTree(response.body());
    } catch (IOException e) {
      return "body is not JSON: " + clip(response.body());
    }
    if (!body.path("error").isTextual() || body.path("error").asText().isEmpty()) {
      return "no error code: " + clip(response.body());
    }
    if (!body.path("message").isTextual() || body.path("message").asText().isBlank()) {
      return "no message: " + clip(response.body());
    }
    if (!c.httpLevel() && !body.path("field").isTextual()) {
      return "no field named: " + clip(response.body());
    }
    return null;
  }

  private static String clip(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
