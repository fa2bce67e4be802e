package io.freshet.gateway;

import static io.freshet.gateway.GatewayClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.gateway.catalog.FeatureRef;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A failure inside the gateway, even an Error such as a missing class, is answered 500, never left
 * hanging.
 */
class InternalFailureTest {
  @Test
  void an_error_on_the_request_path_is_a_500_json_naming_it() throws IOException {
    FeatureServiceResolver broken =
        new FeatureServiceResolver() {
          @Override
          public Optional<List<FeatureRef>> features(String serviceName) {
            throw new NoClassDefFoundError("io/freshet/Simulated");
          }

          @Override
          public Set<String> names() {
            return Set.of();
          }
        };
    try (GatewayFixture fixture =
        new GatewayFixture(config -> config.withFeatureServices(broken))) {
      HttpResponse<String> post =
          fixture.client.post(
              "/get-online-features",
              "{\"feature_service\": \"s\", \"entities\": {\"user_id\": [\"u\"]}}");
      HttpResponse<String> get = fixture.client.get("/feature-services/s/u");

      for (HttpResponse<String> response : List.of(post, get)) {
        assertThat(response.statusCode()).isEqualTo(500);
        JsonNode body = json(response);
        assertThat(body.get("error").asText()).isEqualTo("internal_error");
        assertThat(body.get("exception").asText()).isEqualTo("java.lang.NoClassDefFoundError");
        assertThat(body.get("message").asText()).isEqualTo("io/freshet/Simulated");
      }
      assertThat(fixture.client.get("/health").statusCode()).isEqualTo(200);
    }
  }
}
