package io.freshet.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.gateway.auth.BearerTokens;
import io.freshet.plan.Catalog;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {
  private static final Catalog EMPTY = Catalog.of(List.of());

  @Test
  void rejects_a_port_out_of_range_naming_the_value() {
    assertThatThrownBy(() -> new GatewayConfig(70000, "redis://127.0.0.1:6379/0", EMPTY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("gateway port 70000 is out of range (use 1 to 65535, or 0 for any free port)");
  }

  @Test
  void rejects_a_missing_redis_uri_with_an_example() {
    assertThatThrownBy(() -> new GatewayConfig(0, " ", EMPTY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Redis URI of the online table is missing (e.g. redis://127.0.0.1:6379/0)");
  }

  @Test
  void rejects_a_malformed_redis_uri_without_showing_its_password() {
    assertThatThrownBy(() -> new GatewayConfig(0, "http://user:secret@host:1/0", EMPTY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Redis URI 'http://***@host:1/0' is malformed: ")
        .hasMessageNotContaining("secret");
  }

  @Test
  void the_three_argument_constructor_serves_a_fixed_catalog_without_auth_or_services() {
    GatewayConfig config = new GatewayConfig(8080, "redis://127.0.0.1:6379/0", EMPTY);

    assertThat(config.views().refreshInterval()).isEmpty();
    assertThat(config.featureServices().names()).isEmpty();
    assertThat(config.tokens().enabled()).isFalse();
    assertThat(config.limits()).isEqualTo(GatewayLimits.defaults());
  }

  @Test
  void push_is_off_by_default_and_kafka_is_kept_through_every_with() {
    GatewayConfig config = new GatewayConfig(8080, "redis://127.0.0.1:6379/0", EMPTY);
    assertThat(config.kafkaBootstrap()).isNull();
    assertThat(config.toString()).contains("kafka=none (push off)");

    GatewayConfig pushing =
        config
            .withKafka(" 127.0.0.1:9092 ")
            .withLimits(GatewayLimits.defaults().withMaxPushEvents(10))
            .withTokens(BearerTokens.disabled())
            .withPort(0);

    assertThat(pushing.kafkaBootstrap()).isEqualTo("127.0.0.1:9092");
    assertThat(pushing.limits().maxPushEvents()).isEqualTo(10);
    assertThat(pushing.port()).isZero();
  }

  @Test
  void rejects_blank_kafka_bootstrap_servers() {
    GatewayConfig config = new GatewayConfig(8080, "redis://127.0.0.1:6379/0", EMPTY);

    assertThatThrownBy(() -> config.withKafka("  "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Kafka bootstrap servers are blank");
    assertThatThrownBy(() -> GatewayLimits.defaults().withMaxPushEvents(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("gateway limit maxPushEvents 0 must be at least 1 (e.g. 1000)");
  }

  @Test
  void default_limits_are_1_mib_1000_entities_200_features() {
    GatewayLimits limits = GatewayLimits.defaults();

    assertThat(limits.maxBodyBytes()).isEqualTo(1 << 20);
    assertThat(limits.maxEntities()).isEqualTo(1000);
    assertThat(limits.maxFeatures()).isEqualTo(200);
  }

  @Test
  void rejects_limits_below_one_naming_the_limit() {
    assertThatThrownBy(() -> GatewayLimits.defaults().withMaxEntities(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("gateway limit maxEntities 0 must be at least 1 (e.g. 1000)");
    assertThatThrownBy(() -> GatewayLimits.defaults().withBodyTimeout(Duration.ZERO))
        .hasMessage("gateway limit bodyTimeout PT0S must be positive (e.g. 10 s)");
  }

  @Test
  void to_string_shows_whether_auth_is_on_but_never_a_token() {
    GatewayConfig config =
        new GatewayConfig(8080, "redis://127.0.0.1:6379/0", EMPTY)
            .withTokens(BearerTokens.of(List.of("top-secret")));

    assertThat(config.toString())
        .contains("bearer auth with 1 token(s)")
        .doesNotContain("top-secret");
  }

  @Test
  void to_string_hides_the_redis_password() {
    GatewayConfig config = new GatewayConfig(8080, "redis://:secret@cache:6380/2", EMPTY);

    assertThat(config.toString())
        .startsWith("GatewayConfig[port=8080, redisUri=redis://***@cache:6380/2, ")
        .doesNotContain("secret");
  }
}
