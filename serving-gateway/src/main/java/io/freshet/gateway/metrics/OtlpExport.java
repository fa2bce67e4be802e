package io.freshet.gateway.metrics;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how often the gateway pushes its meters over OTLP/HTTP (protobuf), beside the
 * Prometheus scrape at {@code /metrics}: to an OpenTelemetry Collector, or any backend that takes
 * OTLP metrics.
 *
 * @param endpoint the collector's metrics URL, e.g. {@code http://otel-collector:4318/v1/metrics}
 * @param step how often meters are exported (each export carries the step's deltas of counters and
 *     histograms, cumulative by the OTLP registry's default temporality)
 */
public record OtlpExport(URI endpoint, Duration step) {
  /** The usual export interval of OpenTelemetry SDKs. */
  public static final Duration DEFAULT_STEP = Duration.ofSeconds(60);

  public OtlpExport {
    Objects.requireNonNull(endpoint, "OTLP endpoint");
    String scheme = endpoint.getScheme();
    if (!"http".equals(scheme) && !"https".equals(scheme) || endpoint.getHost() == null) {
      throw new IllegalArgumentException(
          "OTLP endpoint '"
              + endpoint
              + "' is not an http(s) URL (give the collector's OTLP/HTTP metrics URL, e.g."
              + " http://otel-collector:4318/v1/metrics)");
    }
    Objects.requireNonNull(step, "OTLP export step");
    if (step.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException(
          "OTLP export step " + step + " is shorter than a second (use 1s or more, e.g. 60s)");
    }
  }

  /** Parses {@code url}, exporting every {@link #DEFAULT_STEP}. */
  public static OtlpExport to(String url) {
    URI uri;
    try {
      uri = URI.create(url.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "OTLP endpoint '"
              + url
              + "' is not a URL (give e.g. http://otel-collector:4318/v1/metrics)",
          e);
    }
    return new OtlpExport(uri, DEFAULT_STEP);
  }

  /** This export every {@code newStep}. */
  public OtlpExport every(Duration newStep) {
    return new OtlpExport(endpoint, newStep);
  }
}
