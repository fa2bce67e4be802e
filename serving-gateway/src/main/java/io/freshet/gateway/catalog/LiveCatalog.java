package io.freshet.gateway.catalog;

import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog the gateway serves right now: swapped whole, read without locks on the request path,
 * refreshed from a {@link CatalogSource} on a thread of its own. Thread-safe.
 */
public final class LiveCatalog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LiveCatalog.class);

  /** The name of the refresh thread, so leak checks can find it. */
  public static final String THREAD_NAME = "freshet-gateway-catalog";

  private final CatalogSource source;
  private final AtomicReference<Loaded> current = new AtomicReference<>();
  private final AtomicInteger failedLoads = new AtomicInteger();
  private final ScheduledExecutorService refresher;

  /** A catalog and when it was installed. */
  public record Loaded(Catalog catalog, Instant at) {}

  private LiveCatalog(CatalogSource source) {
    this.source = source;
    this.refresher =
        source.refreshInterval().isPresent()
            ? Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, THREAD_NAME);
                  t.setDaemon(true);
                  return t;
                })
            : null;
  }

  /**
   * Loads the source once on the calling thread and, when it has a refresh interval, schedules
   * further loads. A failed first load is logged; the gateway then serves no view until a later
   * load succeeds.
   */
  public static LiveCatalog start(CatalogSource source) {
    LiveCatalog live = new LiveCatalog(Objects.requireNonNull(source, "source"));
    live.refresh();
    source
        .refreshInterval()
        .map(Duration::toMillis)
        .ifPresent(
            every ->
                live.refresher.scheduleWithFixedDelay(
                    live::refresh, every, every, TimeUnit.MILLISECONDS));
    return live;
  }

  /** The catalog in force, or empty while none has loaded. */
  public Optional<Loaded> current() {
    return Optional.ofNullable(current.get());
  }

  /** Installs {@code catalog} now; requests that already started keep the one they read. */
  public void replace(Catalog catalog) {
    Objects.requireNonNull(catalog, "catalog");
    Loaded previous = current.getAndSet(new Loaded(catalog, Instant.now()));
    logChange(previous == null ? null : previous.catalog(), catalog);
  }

  /** How many loads failed since the last success. */
  public int failedLoads() {
    return failedLoads.get();
  }

  private void refresh() {
    Catalog next;
    try {
      next = source.load();
    } catch (Exception | LinkageError e) {
      int failures = failedLoads.incrementAndGet();
      String keeping =
          current.get() == null
              ? "no views are served until a load succeeds"
              : "serving the views loaded at " + current.get().at();
      if (failures == 1) {
        LOG.warn("cannot load the gateway's catalog from {}: {} ({})", source, e, keeping, e);
      } else {
        LOG.debug("cannot load the gateway's catalog from {} ({} failures)", source, failures, e);
      }
      return;
    }
    failedLoads.set(0);
    Loaded previous = current.get();
    if (previous == null || !versions(previous.catalog()).equals(versions(next))) {
      replace(next);
    }
  }

  private static void logChange(Catalog before, Catalog after) {
    Map<String, String> old = before == null ? Map.of() : versions(before);
    Map<String, String> now = versions(after);
    List<String> changes = new ArrayList<>();
    now.forEach(
        (view, version) -> {
          String was = old.get(view);
          if (was == null) {
            changes.add("+" + view + "@" + version);
          } else if (!was.equals(version)) {
            changes.add(view + "@" + was + "->" + version);
          }
        });
    old.keySet().stream().filter(v -> !now.containsKey(v)).forEach(v -> changes.add("-" + v));
    LOG.info("gateway catalog now serves {} view(s): {}", now.size(), changes);
  }

  /** View name to its plan's description: a change of version or of TTL is a change. */
  private static Map<String, String> versions(Catalog catalog) {
    Map<String, String> m = new LinkedHashMap<>();
    for (ViewPlan p : catalog.plans()) {
      m.put(p.name(), p.versionTag() + " ttl " + p.ttl());
    }
    return m;
  }

  /** Stops refreshing; waits briefly for a load in progress. */
  @Override
  public void close() {
    if (refresher == null) {
      return;
    }
    refresher.shutdownNow();
    try {
      refresher.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
