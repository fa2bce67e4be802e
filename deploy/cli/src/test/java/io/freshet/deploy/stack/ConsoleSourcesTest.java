package io.freshet.deploy.stack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.gateway.GatewayConfig;
import io.freshet.gateway.GatewayServer;
import io.freshet.gateway.console.ConsoleSource;
import io.freshet.offline.FreshetSchema;
import io.freshet.offline.RejectedEventsWriter;
import io.freshet.plan.Catalog;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The console of a gateway as {@code freshet serve} and the demo wire it: rejected events and
 * freshness from a real Postgres through the offline store, job states from a Flink REST endpoint
 * (here an HTTP server answering {@code GET /jobs/overview} as Flink does), matched to views by the
 * job names {@code freshet submit} gives.
 */
class ConsoleSourcesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Catalog EXAMPLES = Catalog.load(ConsoleSourcesTest.class.getClassLoader());
  private final HttpClient http = HttpClient.newHttpClient();
  private HttpServer flink;

  @AfterEach
  void stopFlink() {
    if (flink != null) {
      flink.stop(0);
    }
  }

  private FlinkRestClient flinkAnswering(String overview) throws Exception {
    flink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    flink.createContext(
        "/jobs/overview",
        exchange -> {
          byte[] body = overview.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    flink.start();
    return new FlinkRestClient(URI.create("http://127.0.0.1:" + flink.getAddress().getPort()));
  }

  private JsonNode get(GatewayServer gateway, String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static GatewayServer gateway(ConsoleSource console) {
    // The console reads nothing from Redis; the gateway needs a URI all the same.
    return GatewayServer.start(
        new GatewayConfig(0, TestRedis.uri(10), EXAMPLES).withConsole(console));
  }

  @Test
  void the_console_shows_postgres_rejected_events_and_the_views_flink_job() throws Exception {
    String url = TestPostgres.freshDatabase("console_sources");
    FreshetSchema.migrate(url, "freshet-test");
    List<RejectedEventsWriter.Event> events = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      events.add(
          new RejectedEventsWriter.Event(
              "user_activity",
              i < 4 ? "malformed" : "late",
              "user_events/0@" + i,
              i < 4 ? "not JSON" : "event time before the watermark",
              "{\"i\":" + i + "}",
              i < 4 ? null : 1_700_000_000_000L + i));
    }
    events.add(
        new RejectedEventsWriter.Event(
            "user_lifetime", "malformed", "user_events/1@9", "not JSON", "x", null));
    try (RejectedEventsWriter writer = RejectedEventsWriter.open(url, "freshet-test")) {
      writer.write(events);
    }
    FlinkRestClient rest =
        flinkAnswering(
            "{\"jobs\":["
                + "{\"jid\":\"a1\",\"name\":\"freshet: user_activity,user_activity_live\","
                + "\"state\":\"RUNNING\",\"start-time\":1700000000000},"
                + "{\"jid\":\"b2\",\"name\":\"freshet backfill: user_activity\","
                + "\"state\":\"FINISHED\",\"start-time\":1700000100000}]}");

    try (GatewayServer gateway = gateway(ConsoleSources.of(url, rest))) {
      JsonNode view = get(gateway, "/console/api/views/user_activity");
      JsonNode rejected = view.path("rejected");
      assertThat(rejected.path("available").asBoolean()).isTrue();
      assertThat(rejected.path("total").asLong()).isEqualTo(7);
      assertThat(rejected.path("by_reason").get(0).path("kind").asText()).isEqualTo("malformed");
      assertThat(rejected.path("by_reason").get(0).path("count").asLong()).isEqualTo(4);
      assertThat(rejected.path("by_reason").get(1).path("count").asLong()).isEqualTo(3);
      assertThat(rejected.path("samples").size()).isEqualTo(5);
      JsonNode freshness = view.path("freshness");
      assertThat(freshness.path("available").asBoolean()).isTrue();
      assertThat(freshness.path("table").asText())
          .contains("user_activity__" + EXAMPLES.plan("user_activity").versionTag());
      assertThat(freshness.path("note").asText()).contains("does not exist yet");
      JsonNode job = view.path("job");
      assertThat(job.path("job_id").asText()).isEqualTo("a1");
      assertThat(job.path("state").asText()).isEqualTo("RUNNING");
      assertThat(get(gateway, "/console/api/views/user_lifetime").path("job").isNull()).isTrue();
      JsonNode jobs = get(gateway, "/console/api/jobs");
      assertThat(jobs.path("jobs").size()).isEqualTo(2);
      assertThat(get(gateway, "/console/api/catalog").path("flink_rest").asText())
          .isEqualTo(rest.baseUri().toString());
    }
  }

  @Test
  void without_postgres_or_flink_the_console_names_the_options() throws Exception {
    try (GatewayServer gateway = gateway(ConsoleSources.of(null, null))) {
      JsonNode view = get(gateway, "/console/api/views/user_activity");
      assertThat(view.path("freshness").path("available").asBoolean()).isFalse();
      assertThat(view.path("freshness").path("reason").asText())
          .contains("--pg-url", "FRESHET_PG_URL");
      assertThat(view.path("job").path("reason").asText()).contains("--flink", "FRESHET_FLINK");
    }
  }

  @Test
  void an_unreachable_postgres_is_unavailable_not_an_error() throws Exception {
    try (GatewayServer gateway =
        gateway(ConsoleSources.of("jdbc:postgresql://127.0.0.1:1/none?user=x", null))) {
      JsonNode view = get(gateway, "/console/api/views/user_activity");
      assertThat(view.path("freshness").path("available").asBoolean()).isFalse();
      assertThat(view.path("rejected").path("reason").asText()).contains("OfflineStoreException");
    }
  }
}
