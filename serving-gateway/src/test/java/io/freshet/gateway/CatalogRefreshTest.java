package io.freshet.gateway;

import static io.freshet.gateway.GatewayClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Aggregation;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.examples.UserActivity;
import io.freshet.gateway.catalog.CatalogSource;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

/**
 * The views served change without a restart and without a registry call on the request path: pushed
 * with {@link GatewayServer#updateCatalog}, or polled from a {@link CatalogSource}.
 */
class CatalogRefreshTest {
  private static final Duration POLL = Duration.ofMillis(50);
  private static final String ACTIVITY_REQUEST =
      "{\"features\": [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\": [\"u1\"]}}";

  @Test
  void an_updated_catalog_serves_new_views_and_new_versions_at_once() throws IOException {
    try (GatewayFixture fixture =
        new GatewayFixture(
            config ->
                config.withViews(CatalogSource.fixed(Catalog.of(List.of(UserActivity.view())))))) {
      GatewayClient client = fixture.client;
      assertThat(client.get("/features/tenant_products/x").statusCode()).isEqualTo(404);

      fixture.gateway.updateCatalog(TestViews.catalog());

      assertThat(client.get("/features/user_activity_live/nobody").statusCode()).isEqualTo(404);
      assertThat(json(client.get("/features/user_activity_live/nobody")).get("error").asText())
          .isEqualTo("not_found");
      ViewPlan v1 = fixture.gateway.catalog().orElseThrow().plan("user_activity");
      fixture.table.write(v1, ActivityRows.of("u1", GatewayFixture.recentWindowEnd(), 7, 0, 0.0));
      assertThat(valueOf(client.post("/get-online-features", ACTIVITY_REQUEST))).isEqualTo("7");

      ViewPlan v2 = ViewPlan.of(redefinedActivity());
      fixture.gateway.updateCatalog(Catalog.of(List.of(redefinedActivity())));

      assertThat(v2.versionTag()).isNotEqualTo(v1.versionTag());
      assertThat(valueOf(client.post("/get-online-features", ACTIVITY_REQUEST)))
          .as("the old version's row is not read under the new version")
          .isEqualTo("null");
      fixture.table.write(
          v2, new FeatureRow("u1", GatewayFixture.recentWindowEnd(), new Object[] {70L}));
      assertThat(valueOf(client.post("/get-online-features", ACTIVITY_REQUEST))).isEqualTo("70");
      assertThat(json(client.get("/features/user_activity/u1")).get("version").asText())
          .isEqualTo(v2.versionTag());
    }
  }

  @Test
  void a_polled_source_is_picked_up_while_serving() throws IOException {
    AtomicReference<Catalog> registry =
        new AtomicReference<>(Catalog.of(List.of(UserActivity.view())));
    AtomicInteger loads = new AtomicInteger();
    CatalogSource polled =
        CatalogSource.polling(
            () -> {
              loads.incrementAndGet();
              return registry.get();
            },
            POLL);
    try (GatewayFixture fixture = new GatewayFixture(config -> config.withViews(polled))) {
      GatewayClient client = fixture.client;
      assertThat(client.get("/features/tenant_products/x").statusCode()).isEqualTo(404);
      int loadsBefore = loads.get();

      registry.set(TestViews.catalog());

      awaitStatus(client, "/features/tenant_products/x", s -> s == 404, "unknown_view gone");
      assertThat(json(client.get("/features/tenant_products/x")).get("error").asText())
          .isEqualTo("not_found");
      assertThat(loads.get()).isGreaterThan(loadsBefore);
      assertThat(fixture.gateway.catalog().orElseThrow().plans()).hasSize(3);
    }
  }

  @Test
  void a_source_that_fails_at_start_makes_the_gateway_not_ready_until_it_loads()
      throws IOException {
    AtomicReference<Catalog> registry = new AtomicReference<>();
    CatalogSource flaky =
        CatalogSource.polling(
            () -> {
              Catalog c = registry.get();
              if (c == null) {
                throw new IllegalStateException("registry unreachable");
              }
              return c;
            },
            POLL);
    try (GatewayFixture fixture = new GatewayFixture(config -> config.withViews(flaky))) {
      GatewayClient client = fixture.client;
      HttpResponse<String> ready = client.get("/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(json(ready).get("error").asText()).isEqualTo("catalog_not_loaded");
      HttpResponse<String> lookup = client.post("/get-online-features", ACTIVITY_REQUEST);
      assertThat(lookup.statusCode()).isEqualTo(503);
      assertThat(json(lookup).get("error").asText()).isEqualTo("catalog_not_loaded");
      assertThat(client.get("/health").statusCode()).isEqualTo(200);

      registry.set(TestViews.catalog());

      awaitStatus(client, "/ready", s -> s == 200, "ready");
      assertThat(client.post("/get-online-features", ACTIVITY_REQUEST).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void a_source_that_fails_later_keeps_the_last_catalog() throws IOException {
    AtomicReference<Catalog> registry = new AtomicReference<>(TestViews.catalog());
    AtomicInteger failures = new AtomicInteger();
    CatalogSource source =
        CatalogSource.polling(
            () -> {
              Catalog c = registry.get();
              if (c == null) {
                failures.incrementAndGet();
                throw new IllegalStateException("registry unreachable");
              }
              return c;
            },
            POLL);
    try (GatewayFixture fixture = new GatewayFixture(config -> config.withViews(source))) {
      registry.set(null);
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (failures.get() < 3 && System.nanoTime() < deadline) {
        sleep(POLL.toMillis());
      }

      assertThat(failures.get()).isGreaterThanOrEqualTo(3);
      assertThat(fixture.client.get("/ready").statusCode()).isEqualTo(200);
      assertThat(fixture.client.post("/get-online-features", ACTIVITY_REQUEST).statusCode())
          .isEqualTo(200);
    }
  }

  /** {@code user_activity} with one feature: a change of meaning, so a new version. */
  private static FeatureView redefinedActivity() {
    return FeatureView.named("user_activity")
        .source(
            KafkaJsonSource.topic(UserActivity.TOPIC)
                .keyedBy("user_id")
                .eventTimeField("event_ts")
                .withMaxOutOfOrderness(Duration.ofMinutes(10)))
        .feature(
            Feature.named("event_count_1h")
                .aggregate(Aggregation.count())
                .over(SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(5))))
        .ttl(Duration.ofHours(2))
        .build();
  }

  private static String valueOf(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return json(response).get("results").get(1).get("values").get(0).toString();
  }

  private static void awaitStatus(
      GatewayClient client, String path, IntPredicate done, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (true) {
      HttpResponse<String> r = client.get(path);
      if (done.test(r.statusCode()) && !r.body().contains("unknown_view")) {
        return;
      }
      assertThat(System.nanoTime())
          .as("%s within 5 s (last: %s)", what, r.body())
          .isLessThan(deadline);
      sleep(POLL.toMillis());
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
