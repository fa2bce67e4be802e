package io.freshet.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.freshet.gateway.metrics.OtlpExport;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With an OTLP endpoint configured, the gateway pushes the meters it shows at {@code /metrics} to a
 * collector over OTLP/HTTP protobuf; here the collector is a plain HTTP server that decodes what it
 * receives with the OTLP protobuf classes.
 */
class GatewayOtlpTest {
  private HttpServer collector;
  private final LinkedBlockingQueue<ExportMetricsServiceRequest> received =
      new LinkedBlockingQueue<>();
  private final List<String> contentTypes = new ArrayList<>();

  @BeforeEach
  void startCollector() throws IOException {
    collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    collector.createContext(
        "/v1/metrics",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          synchronized (contentTypes) {
            contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
          }
          received.add(ExportMetricsServiceRequest.parseFrom(body));
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    collector.start();
  }

  @AfterEach
  void stopCollector() {
    collector.stop(0);
  }

  @Test
  void the_gateways_meters_reach_an_otlp_collector() throws Exception {
    String url = "http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/metrics";
    try (GatewayFixture fixture =
        new GatewayFixture(
            config -> config.withOtlp(OtlpExport.to(url).every(Duration.ofSeconds(1))))) {
      HttpResponse<String> answer = fixture.client.get("/features/user_activity/user_1");
      assertThat(answer.statusCode()).isIn(200, 404);

      // Exports arrive every second; wait for one that holds the request just answered.
      Metric duration = null;
      String service = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (duration == null && System.nanoTime() < deadline) {
        ExportMetricsServiceRequest export = received.poll(1, TimeUnit.SECONDS);
        if (export == null) {
          continue;
        }
        for (ResourceMetrics rm : export.getResourceMetricsList()) {
          for (KeyValue kv : rm.getResource().getAttributesList()) {
            if (kv.getKey().equals("service.name")) {
              service = kv.getValue().getStringValue();
            }
          }
          for (ScopeMetrics sm : rm.getScopeMetricsList()) {
            for (Metric m : sm.getMetricsList()) {
              if (m.getName().equals("freshet.gateway.request.duration")
                  && m.hasHistogram()
                  && m.getHistogram().getDataPointsList().stream()
                      .anyMatch(p -> p.getCount() > 0)) {
                duration = m;
              }
            }
          }
        }
      }
      assertThat(duration).as("an export with the request's duration").isNotNull();
      assertThat(service).isEqualTo("freshet-gateway");
      assertThat(duration.getHistogram().getDataPointsList())
          .anySatisfy(
              p ->
                  assertThat(p.getAttributesList())
                      .anySatisfy(
                          kv -> {
                            assertThat(kv.getKey()).isEqualTo("route");
                            assertThat(kv.getValue().getStringValue()).isNotBlank();
                          }));
      synchronized (contentTypes) {
        assertThat(contentTypes).isNotEmpty().allMatch("application/x-protobuf"::equals);
      }
      // the Prometheus scrape is still there beside the export
      assertThat(fixture.client.get("/metrics").body())
          .contains("freshet_gateway_request_duration_seconds");
    }
  }

  @Test
  void an_endpoint_that_is_not_an_http_url_or_a_step_under_a_second_is_refused() {
    assertThatThrownBy(() -> OtlpExport.to("otel-collector:4318"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not an http(s) URL");
    assertThatThrownBy(
            () -> OtlpExport.to("http://collector:4318/v1/metrics").every(Duration.ofMillis(10)))
        .hasMessageContaining("shorter than a second");
  }
}
