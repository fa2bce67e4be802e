package io.freshet.gateway;

import static io.freshet.gateway.GatewayClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.gateway.auth.BearerTokens;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bearer-token auth: without an accepted token every data route answers 401 in JSON and Redis sees
 * no command at all (the proxy in front of it records every one); {@code /health} and {@code
 * /ready} stay open.
 */
class GatewayAuthTest {
  private static final String TOKEN = "s3cr3t-token_A.b~c+d/e=";
  private static final String OTHER = "second-token";
  private static final String BODY =
      "{\"features\": [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\":"
          + " [\"user_42\"]}}";

  private static GatewayFixture fixture;
  private static GatewayClient client;

  @BeforeAll
  static void start() throws IOException {
    fixture =
        new GatewayFixture(
            config ->
                config
                    .withTokens(BearerTokens.of(List.of(TOKEN, OTHER)))
                    .withFeatureServices(
                        FeatureServiceResolver.of(
                            Map.of("svc", List.of("user_activity:event_count_1h")))));
    client = fixture.client;
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
  void requests_without_an_accepted_token_get_401_and_redis_sees_no_command() {
    int mark = fixture.commands().size();
    String[][] credentials = {
      {},
      {"Authorization", "Bearer wrong-token"},
      {"Authorization", "Bearer " + TOKEN + "x"},
      {"Authorization", "Bearer"},
      {"Authorization", "Basic " + TOKEN},
      {"Authorization", TOKEN},
      {"X-Api-Key", TOKEN}
    };
    for (String[] headers : credentials) {
      for (HttpResponse<String> response :
          List.of(
              client.post("/get-online-features", BODY, headers),
              client.get("/features/user_activity/user_42", headers),
              client.get("/feature-services/svc/user_42", headers),
              client.get("/metrics", headers),
              client.get("/openapi.json", headers),
              client.get("/no/such/route", headers))) {
        String what = response.request().uri().getPath() + " with " + List.of(headers);
        assertThat(response.statusCode()).as(what).isEqualTo(401);
        assertThat(response.headers().firstValue("www-authenticate").orElseThrow())
            .as(what)
            .startsWith("Bearer realm=\"freshet-gateway\"");
        JsonNode body = json(response);
        assertThat(body.get("error").asText()).isEqualTo("unauthorized");
        assertThat(body.get("field").asText()).isEqualTo("Authorization");
        assertThat(response.body()).as(what).doesNotContain(TOKEN);
      }
    }

    assertThat(fixture.commandsSince(mark)).as("commands Redis saw").isEmpty();
  }

  @Test
  void the_401_says_what_is_missing_or_wrong() {
    assertThat(json(client.get("/features/user_activity/user_42")).get("message").asText())
        .isEqualTo(
            "this route needs a bearer token (send the header Authorization: Bearer <token>)");
    HttpResponse<String> wrong =
        client.get("/features/user_activity/user_42", "Authorization", "Bearer nope");
    assertThat(json(wrong).get("message").asText())
        .isEqualTo("the bearer token is not one the gateway accepts");
    assertThat(json(wrong).get("value").asText()).isEqualTo("Bearer ***");
    assertThat(wrong.headers().firstValue("www-authenticate"))
        .hasValue("Bearer realm=\"freshet-gateway\", error=\"invalid_token\"");
    HttpResponse<String> basic =
        client.get("/features/user_activity/user_42", "Authorization", "Basic dXNlcjpwdw==");
    assertThat(json(basic).get("message").asText())
        .isEqualTo("the Authorization header is not of the form 'Bearer <token>'");
    assertThat(json(basic).get("value").asText()).isEqualTo("Basic ***");
  }

  @Test
  void an_accepted_token_is_served_whatever_the_scheme_case() {
    int mark = fixture.commands().size();

    HttpResponse<String> post =
        client.post("/get-online-features", BODY, "Authorization", "Bearer " + TOKEN);
    HttpResponse<String> get =
        client.get("/features/user_activity/user_42", "Authorization", "bearer  " + OTHER);

    assertThat(post.statusCode()).as(post.body()).isEqualTo(200);
    assertThat(json(post).get("results").get(1).get("values").get(0).asLong()).isEqualTo(12L);
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(fixture.commandsSince(mark))
        .extracting(RespCommandLog.Command::rowRead)
        .containsExactly(true, true);
    assertThat(client.get("/metrics", "Authorization", "Bearer " + TOKEN).statusCode())
        .isEqualTo(200);
  }

  @Test
  void health_and_ready_answer_without_a_token() {
    assertThat(client.get("/health").statusCode()).isEqualTo(200);
    assertThat(client.get("/ready").statusCode()).isEqualTo(200);
  }
}
