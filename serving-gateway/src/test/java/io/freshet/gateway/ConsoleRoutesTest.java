package io.freshet.gateway;

import static io.freshet.gateway.GatewayClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.gateway.auth.BearerTokens;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.gateway.console.ConsoleSource;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestRedis;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console's routes on a gateway serving the example catalog: the page and its assets are open,
 * the API needs the token, the catalog JSON is the loaded plans', and a part whose source is not
 * configured or fails says so in a 200. The console sources here stand for Postgres and Flink,
 * which the gateway never reads itself; their real implementation is tested with them.
 */
class ConsoleRoutesTest {
  private static final String TOKEN = "console-token";
  private static final String[] AUTH = {"Authorization", "Bearer " + TOKEN};
  private static final Instant NEWEST = Instant.parse("2026-11-20T12:00:00Z");
  private static final Instant COMMITTED = Instant.parse("2026-11-20T12:00:03.250Z");

  private static final Catalog EXAMPLES = Catalog.load(ConsoleRoutesTest.class.getClassLoader());

  /** Answers as a configured Postgres and Flink would, with fixed figures. */
  static final class FixedSource implements ConsoleSource {
    @Override
    public Freshness freshness(ViewPlan plan) {
      if (plan.requestTime()) {
        // the open tile ends after the commit that holds its events so far
        return new Freshness(
            "freshet.\"" + plan.name() + "\"", COMMITTED.plusSeconds(50), COMMITTED, 9L, null);
      }
      return new Freshness("freshet.\"" + plan.name() + "\"", NEWEST, COMMITTED, 17L, null);
    }

    @Override
    public Rejections rejected(String viewName, int sampleLimit) {
      List<Sample> samples = new ArrayList<>();
      for (int i = 0; i < 7 && samples.size() < sampleLimit; i++) {
        samples.add(
            new Sample(
                "malformed",
                "not JSON",
                "user_events/0@" + i,
                "<script>alert(" + i + ")</script>",
                null,
                COMMITTED.plusSeconds(i)));
      }
      return new Rejections(
          12,
          List.of(new ReasonCount("malformed", "not JSON", 7), new ReasonCount("late", "late", 5)),
          samples);
    }

    @Override
    public List<Job> jobs() {
      return List.of(
          new Job(
              "old",
              "freshet: user_activity",
              "CANCELED",
              NEWEST.minusSeconds(60),
              Set.of("user_activity")),
          new Job("new", "freshet: user_activity", "RUNNING", NEWEST, Set.of("user_activity")),
          new Job(
              "bf",
              "freshet backfill: user_activity",
              "FINISHED",
              NEWEST.plusSeconds(5),
              Set.of()));
    }

    @Override
    public java.util.Optional<String> flinkRestUrl() {
      return java.util.Optional.of("http://flink.example:8081");
    }
  }

  /** A configured source whose every read fails, as Postgres going away would. */
  static final class FailingSource implements ConsoleSource {
    @Override
    public Freshness freshness(ViewPlan plan) {
      throw new IllegalStateException("connection refused to the offline store");
    }

    @Override
    public Rejections rejected(String viewName, int sampleLimit) {
      throw new IllegalStateException("connection refused to the offline store");
    }

    @Override
    public List<Job> jobs() {
      throw new IllegalStateException("Flink REST answered 502");
    }
  }

  private static GatewayFixture fixture;
  private static GatewayClient client;

  @BeforeAll
  static void start() throws IOException {
    fixture =
        new GatewayFixture(
            EXAMPLES,
            config ->
                config
                    .withTokens(BearerTokens.of(List.of(TOKEN)))
                    .withFeatureServices(FeatureServiceResolver.ofServices(EXAMPLES.services()))
                    .withConsole(new FixedSource()));
    client = fixture.client;
  }

  @AfterAll
  static void stop() throws IOException {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void the_page_and_its_assets_are_served_without_a_token() {
    for (String path : List.of("/console", "/console/")) {
      HttpResponse<String> page = client.get(path);
      assertThat(page.statusCode()).as(path).isEqualTo(200);
      assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
      assertThat(page.body())
          .contains("id=\"views\"", "id=\"lookup-form\"", "/console/assets/echarts.min.js");
    }
    assertAsset("console.js", "text/javascript; charset=utf-8", "sessionStorage");
    assertAsset("console.css", "text/css; charset=utf-8", "#views");
    assertAsset("echarts.min.js", "text/javascript; charset=utf-8", "echarts");
    assertThat(client.get("/console/assets/echarts.min.js").body().length()).isGreaterThan(500_000);
  }

  private static void assertAsset(String name, String type, String content) {
    HttpResponse<String> r = client.get("/console/assets/" + name);
    assertThat(r.statusCode()).as(name).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).as(name).hasValue(type);
    assertThat(r.headers().firstValue("cache-control").orElseThrow()).as(name).contains("max-age=");
    assertThat(r.body()).as(name).contains(content);
  }

  @Test
  void unknown_assets_and_paths_that_climb_out_are_404_json() {
    for (String path :
        List.of(
            "/console/assets/nope.js",
            "/console/assets/%2e%2e%2fopenapi.json",
            "/console/assets/..%2F..%2Fio%2Ffreshet%2Fgateway%2Fopenapi.json",
            "/console/assets/index.html",
            "/console/assets/")) {
      HttpResponse<String> r = client.get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(404);
      assertThat(r.headers().firstValue("content-type")).as(path).hasValue("application/json");
      assertThat(json(r).path("error").asText()).as(path).isIn("unknown_asset", "no_route");
    }
    assertThat(json(client.get("/console/assets/nope.js")).path("message").asText())
        .contains("console.js", "echarts.min.js");
  }

  @Test
  void the_api_needs_the_token() {
    for (String path :
        List.of("/console/api/catalog", "/console/api/views/user_activity", "/console/api/jobs")) {
      HttpResponse<String> without = client.get(path);
      assertThat(without.statusCode()).as(path).isEqualTo(401);
      assertThat(json(without).path("error").asText()).isEqualTo("unauthorized");
      assertThat(client.get(path, "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
      assertThat(client.get(path, AUTH).statusCode()).as(path).isEqualTo(200);
    }
  }

  @Test
  void the_catalog_is_the_loaded_plans_and_services() {
    JsonNode body = json(client.get("/console/api/catalog", AUTH));
    List<ViewPlan> plans = EXAMPLES.plans();
    assertThat(plans).isNotEmpty();
    JsonNode views = body.path("views");
    assertThat(views.size()).isEqualTo(plans.size());
    for (int i = 0; i < plans.size(); i++) {
      ViewPlan plan = plans.get(i);
      JsonNode v = views.get(i);
      assertThat(v.path("name").asText()).isEqualTo(plan.name());
      assertThat(v.path("version").asText()).isEqualTo(plan.versionTag());
      assertThat(v.path("fingerprint").asText()).isEqualTo(plan.fingerprint());
      List<String> key = new ArrayList<>();
      v.path("entity_key").forEach(k -> key.add(k.asText()));
      assertThat(key).isEqualTo(plan.keyFields());
      String serving =
          plan.tableSourced() ? "table" : plan.requestTime() ? "request_time" : "window_ends";
      assertThat(v.path("serving").asText()).as(plan.name()).isEqualTo(serving);
      if (plan.view().expires()) {
        assertThat(v.path("ttl_seconds").asLong()).isEqualTo(plan.ttl().toSeconds());
      } else {
        assertThat(v.path("ttl_seconds").isNull()).as(plan.name()).isTrue();
      }
      assertThat(v.path("availability_delay_ms").asLong())
          .isEqualTo(plan.availabilityDelay().toMillis());
      assertThat(v.path("source").asText())
          .contains(plan.tableSourced() ? plan.tableSource().label() : plan.source().topic());
      assertThat(v.has("tile")).isEqualTo(plan.requestTime());
      JsonNode features = v.path("features");
      assertThat(features.size()).isEqualTo(plan.parts().size());
      for (FeaturePart part : plan.parts()) {
        JsonNode f = features.get(part.index());
        assertThat(f.path("name").asText()).isEqualTo(part.name());
        assertThat(f.path("type").asText()).isEqualTo(part.type().name());
        if (part instanceof FeaturePart.Aggregated a) {
          assertThat(f.path("kind").asText()).isEqualTo("aggregated");
          assertThat(f.path("aggregation").asText()).isEqualTo(a.aggregation().describe());
          assertThat(f.path("window").asText()).isNotBlank();
        } else {
          assertThat(f.has("aggregation")).as(part.name()).isFalse();
        }
      }
    }
    JsonNode services = body.path("services");
    assertThat(services.size()).isEqualTo(EXAMPLES.services().size());
    for (int i = 0; i < services.size(); i++) {
      var service = EXAMPLES.services().get(i);
      JsonNode s = services.get(i);
      assertThat(s.path("name").asText()).isEqualTo(service.name());
      List<String> refs = new ArrayList<>();
      s.path("features").forEach(r -> refs.add(r.asText()));
      assertThat(refs).isEqualTo(service.features().stream().map(Object::toString).toList());
      List<String> fields = new ArrayList<>();
      s.path("request_fields")
          .forEach(f -> fields.add(f.path("name").asText() + ":" + f.path("type").asText()));
      assertThat(fields)
          .isEqualTo(service.requestFields().stream().map(f -> f.name() + ":" + f.type()).toList());
      List<String> onDemand = new ArrayList<>();
      s.path("on_demand").forEach(o -> onDemand.add(o.path("name").asText()));
      assertThat(onDemand).isEqualTo(service.onDemand().stream().map(o -> o.name()).toList());
    }
    assertThat(body.path("flink_rest").asText()).isEqualTo("http://flink.example:8081");
    assertThat(Instant.parse(body.path("loaded_at").asText())).isBeforeOrEqualTo(Instant.now());
  }

  @Test
  void a_request_time_views_lag_runs_from_its_newest_commit_not_its_open_tiles_end() {
    Instant before = Instant.now();
    JsonNode f = json(client.get("/console/api/views/user_activity_live", AUTH)).path("freshness");
    Instant after = Instant.now();
    assertThat(f.path("newest_feature_ts").asText())
        .isEqualTo(COMMITTED.plusSeconds(50).toString());
    assertThat(f.path("lag_seconds").asDouble())
        .isBetween(
            (before.toEpochMilli() - COMMITTED.toEpochMilli()) / 1000.0,
            (after.toEpochMilli() - COMMITTED.toEpochMilli()) / 1000.0);
  }

  @Test
  void a_view_shows_what_its_sources_answer() {
    Instant before = Instant.now();
    JsonNode body = json(client.get("/console/api/views/user_activity", AUTH));
    Instant after = Instant.now();
    assertThat(body.path("view").asText()).isEqualTo("user_activity");
    JsonNode f = body.path("freshness");
    assertThat(f.path("available").asBoolean()).isTrue();
    assertThat(f.path("newest_feature_ts").asText()).isEqualTo(NEWEST.toString());
    assertThat(f.path("newest_commit_at").asText()).isEqualTo(COMMITTED.toString());
    assertThat(f.path("rows_in_newest_commit").asLong()).isEqualTo(17);
    double lag = f.path("lag_seconds").asDouble();
    assertThat(lag)
        .isBetween(
            (before.toEpochMilli() - NEWEST.toEpochMilli()) / 1000.0,
            (after.toEpochMilli() - NEWEST.toEpochMilli()) / 1000.0);
    JsonNode r = body.path("rejected");
    assertThat(r.path("total").asLong()).isEqualTo(12);
    assertThat(r.path("by_reason").get(0).path("kind").asText()).isEqualTo("malformed");
    assertThat(r.path("by_reason").get(0).path("count").asLong()).isEqualTo(7);
    assertThat(r.path("samples").size()).isEqualTo(5);
    assertThat(r.path("samples").get(0).path("payload").asText())
        .isEqualTo("<script>alert(0)</script>");
    assertThat(r.path("samples").get(0).path("event_ts").isNull()).isTrue();
    JsonNode job = body.path("job");
    assertThat(job.path("job_id").asText()).isEqualTo("new");
    assertThat(job.path("state").asText()).isEqualTo("RUNNING");
    assertThat(job.path("start_time").asText()).isEqualTo(NEWEST.toString());

    JsonNode jobs = json(client.get("/console/api/jobs", AUTH));
    assertThat(jobs.path("available").asBoolean()).isTrue();
    List<String> ids = new ArrayList<>();
    jobs.path("jobs").forEach(j -> ids.add(j.path("job_id").asText()));
    assertThat(ids).containsExactly("bf", "new", "old");
  }

  @Test
  void a_view_no_job_computes_has_job_null() {
    JsonNode body = json(client.get("/console/api/views/user_activity_live", AUTH));
    assertThat(body.path("job").isNull()).isTrue();
  }

  @Test
  void an_unknown_view_is_404_naming_the_known_ones() {
    HttpResponse<String> r = client.get("/console/api/views/no_such_view", AUTH);
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(json(r).path("error").asText()).isEqualTo("unknown_view");
    assertThat(json(r).path("message").asText()).contains("user_activity");
  }

  @Test
  void the_staleness_is_the_gateways_own_histogram() {
    ViewPlan plan = fixture.gateway.catalog().orElseThrow().plan("user_activity");
    long windowEnd = GatewayFixture.recentWindowEnd();
    fixture.table.write(plan, ActivityRows.of("console_user", windowEnd, 3, 1, 9.5));
    JsonNode before = json(client.get("/console/api/views/user_activity", AUTH)).path("staleness");
    long fromMillis = System.currentTimeMillis();
    assertThat(client.get("/features/user_activity/console_user", AUTH).statusCode())
        .isEqualTo(200);
    long toMillis = System.currentTimeMillis();
    JsonNode after = json(client.get("/console/api/views/user_activity", AUTH)).path("staleness");
    assertThat(after.path("count").asLong()).isEqualTo(before.path("count").asLong() + 1);
    // The row was at least (fromMillis - windowEnd) and at most (toMillis - windowEnd) old when
    // served: every bucket below the first bound gained nothing, every one above it gained one.
    double low = (fromMillis - windowEnd) / 1000.0;
    double high = (toMillis - windowEnd) / 1000.0;
    JsonNode b0 = before.path("buckets");
    JsonNode b1 = after.path("buckets");
    assertThat(b1.size()).isEqualTo(b0.size()).isGreaterThan(5);
    for (int i = 0; i < b1.size(); i++) {
      double le = b1.get(i).path("le_seconds").asDouble();
      long gained = b1.get(i).path("count").asLong() - countAt(b0, le);
      if (le < low) {
        assertThat(gained).as("bucket <= %s s", le).isZero();
      } else if (le >= high) {
        assertThat(gained).as("bucket <= %s s", le).isEqualTo(1);
      }
    }
    assertThat(after.path("p50_seconds").isNumber()).isTrue();
  }

  @Test
  void the_staleness_buckets_are_those_prometheus_scrapes_and_the_quantiles_their_bounds() {
    ViewPlan plan = fixture.gateway.catalog().orElseThrow().plan("user_activity");
    long now = System.currentTimeMillis();
    long[] agesMinutes = {1, 3, 3, 7, 20, 20, 20, 45, 90, 110};
    for (int i = 0; i < agesMinutes.length; i++) {
      fixture.table.write(
          plan,
          ActivityRows.of(
              "stale_" + i, now - Duration.ofMinutes(agesMinutes[i]).toMillis(), 1, 0, 0.0));
      assertThat(client.get("/features/user_activity/stale_" + i, AUTH).statusCode())
          .isEqualTo(200);
    }
    JsonNode staleness =
        json(client.get("/console/api/views/user_activity", AUTH)).path("staleness");
    String scrape = client.get("/metrics", AUTH).body();

    long count = staleness.path("count").asLong();
    assertThat(count).isGreaterThanOrEqualTo(agesMinutes.length);
    List<Double> bounds = new ArrayList<>();
    for (JsonNode b : staleness.path("buckets")) {
      double le = b.path("le_seconds").asDouble();
      bounds.add(le);
      Matcher m =
          Pattern.compile(
                  "freshet_gateway_feature_staleness_seconds_bucket\\{view=\"user_activity\",le=\""
                      + Pattern.quote(Double.toString(le))
                      + "\"\\} (\\S+)")
              .matcher(scrape);
      assertThat(m.find()).as("le %s in the scrape", le).isTrue();
      assertThat(b.path("count").asLong())
          .as("le %s", le)
          .isEqualTo((long) Double.parseDouble(m.group(1)));
    }
    for (double q : new double[] {0.5, 0.99}) {
      long rank = (long) Math.ceil(q * count);
      Double expected = null;
      for (JsonNode b : staleness.path("buckets")) {
        if (b.path("count").asLong() >= rank) {
          expected = b.path("le_seconds").asDouble();
          break;
        }
      }
      JsonNode actual = staleness.path(q == 0.5 ? "p50_seconds" : "p99_seconds");
      if (expected == null) {
        assertThat(actual.isNull()).isTrue();
      } else {
        assertThat(actual.asDouble()).as("q %s", q).isEqualTo(expected);
      }
    }
    assertThat(bounds).isSorted();
  }

  private static long countAt(JsonNode buckets, double le) {
    for (JsonNode b : buckets) {
      if (b.path("le_seconds").asDouble() == le) {
        return b.path("count").asLong();
      }
    }
    return 0;
  }

  @Test
  void without_sources_every_part_says_what_to_configure() {
    withGateway(
        c -> c,
        gateway -> {
          JsonNode body = json(gateway.get("/console/api/views/user_activity"));
          assertThat(body.path("freshness").path("available").asBoolean()).isFalse();
          assertThat(body.path("freshness").path("reason").asText()).contains("--pg-url");
          assertThat(body.path("rejected").path("reason").asText()).contains("FRESHET_PG_URL");
          assertThat(body.path("job").path("available").asBoolean()).isFalse();
          assertThat(body.path("job").path("reason").asText()).contains("--flink");
          assertThat(body.path("staleness").path("count").asLong()).isZero();
          JsonNode jobs = json(gateway.get("/console/api/jobs"));
          assertThat(jobs.path("available").asBoolean()).isFalse();
          assertThat(jobs.path("reason").asText()).contains("FRESHET_FLINK");
          assertThat(json(gateway.get("/console/api/catalog")).path("flink_rest").isNull())
              .isTrue();
        });
  }

  @Test
  void a_failing_source_is_unavailable_with_its_message_not_a_500() {
    withGateway(
        c -> c.withConsole(new FailingSource()),
        gateway -> {
          HttpResponse<String> r = gateway.get("/console/api/views/user_activity");
          assertThat(r.statusCode()).isEqualTo(200);
          JsonNode body = json(r);
          assertThat(body.path("freshness").path("reason").asText())
              .contains("connection refused to the offline store");
          assertThat(body.path("rejected").path("available").asBoolean()).isFalse();
          assertThat(body.path("job").path("reason").asText()).contains("502");
          assertThat(gateway.get("/console/api/jobs").statusCode()).isEqualTo(200);
        });
  }

  private interface GatewayCheck {
    void run(GatewayClient client) throws Exception;
  }

  /** A second gateway, without auth, on the same Redis; nothing is read from it. */
  private static void withGateway(UnaryOperator<GatewayConfig> configure, GatewayCheck check) {
    try (GatewayServer gateway =
        GatewayServer.start(
            configure.apply(new GatewayConfig(0, TestRedis.uri(GatewayFixture.DB), EXAMPLES)))) {
      check.run(new GatewayClient(gateway.port()));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
