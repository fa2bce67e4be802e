package io.freshet.gateway.catalog;

import io.freshet.plan.Catalog;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Where the gateway learns which feature views to serve. The gateway calls {@link #load()} once
 * when it starts and then every {@link #refreshInterval()} on a background thread of its own, never
 * on the request path: requests read the last catalog loaded, from memory. When a load fails, the
 * gateway keeps serving the previous catalog (or none yet, answering 503 and {@code /ready}
 * NOT_READY) and tries again at the next interval.
 *
 * <p>A registry-backed source, polling the applied definitions in Postgres:
 *
 * <pre>{@code
 * CatalogSource views = CatalogSource.polling(registry::currentCatalog, Duration.ofSeconds(10));
 * GatewayServer.start(new GatewayConfig(8080, redisUri, Catalog.of(List.of())).withViews(views));
 * }</pre>
 *
 * <p>A view whose meaning changed arrives with a new version tag and is read under its new keys
 * from the next request on; requests already running finish with the catalog they started with.
 * Implementations may block in {@link #load()} (a database query) but should bound it with their
 * own timeouts.
 */
public interface CatalogSource {

  /**
   * The views to serve now.
   *
   * @throws Exception when they cannot be read; the gateway logs it and keeps the last catalog
   */
  Catalog load() throws Exception;

  /** How long after a load the gateway loads again; empty when the views never change. */
  Optional<Duration> refreshInterval();

  /** The same views for the life of the gateway; {@link #load()} never fails. */
  static CatalogSource fixed(Catalog catalog) {
    Objects.requireNonNull(catalog, "catalog");
    return new CatalogSource() {
      @Override
      public Catalog load() {
        return catalog;
      }

      @Override
      public Optional<Duration> refreshInterval() {
        return Optional.empty();
      }

      @Override
      public String toString() {
        return "fixed catalog of " + catalog.plans();
      }
    };
  }

  /**
   * Views read by {@code loader} when the gateway starts and again every {@code every}.
   *
   * @throws IllegalArgumentException when {@code every} is not positive
   */
  static CatalogSource polling(Callable<Catalog> loader, Duration every) {
    Objects.requireNonNull(loader, "loader");
    if (every == null || every.isNegative() || every.isZero()) {
      throw new IllegalArgumentException(
          "catalog refresh interval "
              + every
              + " must be positive (e.g. Duration.ofSeconds(10); use CatalogSource.fixed for views"
              + " that never change)");
    }
    return new CatalogSource() {
      @Override
      public Catalog load() throws Exception {
        Catalog catalog = loader.call();
        if (catalog == null) {
          throw new IllegalStateException("the catalog loader returned null");
        }
        return catalog;
      }

      @Override
      public Optional<Duration> refreshInterval() {
        return Optional.of(every);
      }

      @Override
      public String toString() {
        return "catalog polled every " + every;
      }
    };
  }
}
