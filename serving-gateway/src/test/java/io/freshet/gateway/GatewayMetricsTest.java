package io.freshet.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.plan.ViewPlan;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /metrics}: request latency, rows found and missing, and staleness, per view. */
class GatewayMetricsTest {
  private static GatewayFixture fixture;

  @BeforeAll
  static void start() throws IOException {
    fixture = new GatewayFixture(config -> config);
  }

  @AfterAll
  static void stop() throws IOException {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void counts_rows_and_records_latency_and_staleness_per_view() {
    ViewPlan activity = fixture.gateway.catalog().orElseThrow().plan("user_activity");
    long tenMinutesAgo = Instant.now().minus(Duration.ofMinutes(10)).toEpochMilli();
    fixture.table.write(activity, ActivityRows.of("a", tenMinutesAgo, 1, 0, 0.0));
    fixture.table.write(activity, ActivityRows.of("b", tenMinutesAgo, 2, 0, 0.0));

    HttpResponse<String> lookup =
        fixture.client.post(
            "/get-online-features",
            "{\"features\": [\"user_activity:event_count_1h\","
                + " \"user_activity_live:event_count_1h\"], \"full_feature_names\": true,"
                + " \"entities\": {\"user_id\": [\"a\", \"b\", \"c\"]}}");
    assertThat(lookup.statusCode()).isEqualTo(200);
    assertThat(fixture.client.get("/features/user_activity/a").statusCode()).isEqualTo(200);
    assertThat(fixture.client.get("/features/nope/a").statusCode()).isEqualTo(404);

    HttpResponse<String> metrics = fixture.client.get("/metrics");

    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("content-type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    String text = metrics.body();
    assertThat(
            value(
                text,
                "freshet_gateway_online_rows_total{status=\"present\",view=\"user_activity\"}"))
        .isEqualTo(3.0);
    assertThat(
            value(
                text,
                "freshet_gateway_online_rows_total{status=\"not_found\",view=\"user_activity\"}"))
        .isEqualTo(1.0);
    assertThat(
            value(
                text,
                "freshet_gateway_online_rows_total{status=\"not_found\",view=\"user_activity_live\"}"))
        .isEqualTo(3.0);
    assertThat(
            value(text, "freshet_gateway_feature_staleness_seconds_count{view=\"user_activity\"}"))
        .isEqualTo(3.0);
    assertThat(
            value(
                text,
                "freshet_gateway_feature_staleness_seconds_bucket{view=\"user_activity\",le=\"300.0\"}"))
        .isZero();
    assertThat(
            value(
                text,
                "freshet_gateway_feature_staleness_seconds_bucket{view=\"user_activity\",le=\"900.0\"}"))
        .isEqualTo(3.0);
    assertThat(
            value(
                text,
                "freshet_gateway_request_duration_seconds_count{route=\"get_online_features\",status=\"200\"}"))
        .isEqualTo(1.0);
    assertThat(
            value(
                text,
                "freshet_gateway_request_duration_seconds_count{route=\"features\",status=\"404\"}"))
        .isEqualTo(1.0);
    assertThat(text)
        .contains(
            "freshet_gateway_request_duration_seconds_bucket{route=\"get_online_features\",status=\"200\",le=\"1.0E-4\"}",
            "freshet_gateway_request_duration_seconds_bucket{route=\"get_online_features\",status=\"200\",le=\"0.001\"}",
            "freshet_gateway_request_duration_seconds_max{route=\"get_online_features\",status=\"200\"}");
    assertThat(value(text, "freshet_gateway_catalog_views")).isEqualTo(3.0);
  }

  /** The value of one sample line. */
  private static double value(String text, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(text);
    assertThat(m.find()).as("series %s in%n%s", series, text).isTrue();
    return Double.parseDouble(m.group(1));
  }
}
