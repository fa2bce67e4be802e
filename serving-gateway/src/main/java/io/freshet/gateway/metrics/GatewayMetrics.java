package io.freshet.gateway.metrics;

import io.freshet.gateway.online.FieldStatus;
import io.freshet.gateway.online.RowRead;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.registry.otlp.OtlpMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * The gateway's meters, one registry per server, scraped by Prometheus at {@code GET /metrics}:
 *
 * <pre>
 * freshet_gateway_request_duration_seconds{route,status}  histogram, buckets 100 us .. 2.5 s
 *                                                         (histogram_quantile gives p50/p99
 *                                                         across instances), and its _max
 * freshet_gateway_online_rows_total{view,status}          rows served: status present,
 *                                                         outside_max_age (found), not_found
 *                                                         (missing), invalid (undecodable)
 * freshet_gateway_feature_staleness_seconds{view}         now - feature_ts of each row served,
 *                                                         buckets 1 s .. 7 d; for a request-time
 *                                                         view feature_ts is the request instant
 *                                                         on the online store's clock, so this is
 *                                                         about 0 (the read's latency plus the
 *                                                         clocks' difference): its values are
 *                                                         fresh by construction
 * freshet_gateway_catalog_views                           views in the catalog served now
 * </pre>
 *
 * <p>{@code route} is a route's template name (never a raw path), so label values stay few. The
 * console reads a view's staleness histogram back through {@link #staleness(String)}. Thread-safe.
 */
public final class GatewayMetrics {
  private static final Duration[] LATENCY_BUCKETS = {
    Duration.ofNanos(100_000),
    Duration.ofNanos(250_000),
    Duration.ofNanos(500_000),
    Duration.ofMillis(1),
    Duration.ofMillis(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500)
  };

  private static final Duration[] STALENESS_BUCKETS = {
    Duration.ofSeconds(1),
    Duration.ofSeconds(5),
    Duration.ofSeconds(15),
    Duration.ofSeconds(30),
    Duration.ofMinutes(1),
    Duration.ofMinutes(2),
    Duration.ofMinutes(5),
    Duration.ofMinutes(10),
    Duration.ofMinutes(15),
    Duration.ofMinutes(30),
    Duration.ofHours(1),
    Duration.ofHours(2),
    Duration.ofHours(6),
    Duration.ofDays(1),
    Duration.ofDays(7)
  };

  private final PrometheusMeterRegistry prometheus =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  /** Prometheus, and the OTLP export when one is configured: every meter is registered here. */
  private final CompositeMeterRegistry registry = new CompositeMeterRegistry();

  private final OtlpMeterRegistry otlp;
  private final ConcurrentMap<String, Timer> requestTimers = new ConcurrentHashMap<>();

  /** By view, then by row status ordinal; filled as statuses are first seen. */
  private final ConcurrentMap<String, AtomicReferenceArray<Counter>> rowCounters =
      new ConcurrentHashMap<>();

  private final ConcurrentMap<String, Timer> stalenessTimers = new ConcurrentHashMap<>();

  /** Registers the catalog gauge, read at each scrape; no OTLP export. */
  public GatewayMetrics(Supplier<Number> catalogViews) {
    this(catalogViews, null);
  }

  /**
   * Registers the catalog gauge, read at each scrape, and pushes every meter to {@code export} too
   * when it is not null.
   */
  public GatewayMetrics(Supplier<Number> catalogViews, OtlpExport export) {
    registry.add(prometheus);
    if (export != null) {
      Map<String, String> settings =
          Map.of(
              "otlp.url",
              export.endpoint().toString(),
              "otlp.step",
              export.step().toMillis() + "ms",
              "otlp.resourceAttributes",
              "service.name=freshet-gateway");
      otlp = new OtlpMeterRegistry(settings::get, Clock.SYSTEM);
      registry.add(otlp);
    } else {
      otlp = null;
    }
    Gauge.builder("freshet.gateway.catalog.views", catalogViews)
        .description(
            "Feature views in the catalog the gateway serves now (0 before the first load)")
        .register(registry);
  }

  /** Records one answered request: its route's name, HTTP status and time to answer. */
  public void recordRequest(String route, int status, long nanos) {
    requestTimers
        .computeIfAbsent(
            route + " " + status,
            k ->
                Timer.builder("freshet.gateway.request.duration")
                    .description("Time from a request's arrival to the end of its answer")
                    .tags("route", route, "status", Integer.toString(status))
                    .serviceLevelObjectives(LATENCY_BUCKETS)
                    .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Records the rows read for one request: one count each, and the staleness of those found. */
  public void recordRows(List<RowRead> reads, long nowMillis) {
    for (RowRead read : reads) {
      String view = read.key().plan().name();
      FieldStatus rowStatus = read.rowStatus();
      AtomicReferenceArray<Counter> byStatus =
          rowCounters.computeIfAbsent(
              view, v -> new AtomicReferenceArray<>(FieldStatus.values().length));
      Counter counter = byStatus.get(rowStatus.ordinal());
      if (counter == null) {
        // Registering again returns the meter already registered, so a race here is harmless.
        String status = rowStatus.name().toLowerCase(Locale.ROOT);
        counter =
            Counter.builder("freshet.gateway.online.rows")
                .description(
                    "Rows served by status: present and outside_max_age were found,"
                        + " not_found were missing, invalid could not be decoded")
                .tags("view", view, "status", status)
                .register(registry);
        byStatus.set(rowStatus.ordinal(), counter);
      }
      counter.increment();
      if (read.found() != null) {
        long age = Math.max(0, nowMillis - read.found().row().featureTs());
        stalenessTimers
            .computeIfAbsent(
                view,
                v ->
                    Timer.builder("freshet.gateway.feature.staleness")
                        .description(
                            "Age of each row served: now minus its feature_ts (the window end;"
                                + " for request-time views the request instant, so about 0)")
                        .tags("view", v)
                        .serviceLevelObjectives(STALENESS_BUCKETS)
                        .register(registry))
            .record(age, TimeUnit.MILLISECONDS);
      }
    }
  }

  /**
   * The staleness of the rows served for {@code view} since the gateway started, as its histogram
   * holds it; every count zero when none was served yet.
   */
  public Staleness staleness(String view) {
    Timer timer = stalenessTimers.get(view);
    List<Staleness.Bucket> buckets = new ArrayList<>(STALENESS_BUCKETS.length);
    if (timer == null) {
      for (Duration le : STALENESS_BUCKETS) {
        buckets.add(new Staleness.Bucket(le.toMillis() / 1000.0, 0));
      }
      return new Staleness(0, 0, buckets);
    }
    HistogramSnapshot snapshot = timer.takeSnapshot();
    for (CountAtBucket b : snapshot.histogramCounts()) {
      buckets.add(new Staleness.Bucket(b.bucket(TimeUnit.SECONDS), (long) b.count()));
    }
    return new Staleness(snapshot.count(), snapshot.max(TimeUnit.SECONDS), buckets);
  }

  /**
   * A view's staleness histogram.
   *
   * @param count rows served
   * @param maxSeconds the greatest staleness recently seen (decays over a few minutes)
   * @param buckets cumulative counts: rows served at most {@code leSeconds} stale, by growing bound
   */
  public record Staleness(long count, double maxSeconds, List<Bucket> buckets) {
    public Staleness {
      buckets = List.copyOf(buckets);
    }

    /** Rows served at most {@code leSeconds} stale. */
    public record Bucket(double leSeconds, long count) {}

    /**
     * The upper bound of the first bucket holding the {@code q} quantile (0 &lt; q &lt;= 1): at
     * least a fraction q of the rows were at most this stale. Null when no row was served, or when
     * the quantile lies beyond the last bucket.
     */
    public Double quantileUpperBound(double q) {
      if (count == 0) {
        return null;
      }
      double rank = Math.ceil(q * count);
      for (Bucket b : buckets) {
        if (b.count() >= rank) {
          return b.leSeconds();
        }
      }
      return null;
    }
  }

  /** The registry, for callers that add meters of their own. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Every meter in the Prometheus text format (version 0.0.4). */
  public String scrape() {
    return prometheus.scrape();
  }

  /** The content type of {@link #scrape()}. */
  public static String contentType() {
    return "text/plain; version=0.0.4; charset=utf-8";
  }

  /** Frees the registries' meters; an OTLP export sends its last step first. */
  public void close() {
    if (otlp != null) {
      otlp.close();
    }
    registry.close();
    prometheus.close();
  }
}
