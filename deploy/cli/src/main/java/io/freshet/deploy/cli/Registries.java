package io.freshet.deploy.cli;

import io.freshet.deploy.stack.StackException;
import io.freshet.gateway.catalog.CatalogSource;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.freshet.registry.RegisteredView;
import io.freshet.registry.Registry;
import io.freshet.registry.RegistryException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The registry as the commands use it: opened with actionable errors, checked before a job. */
final class Registries {
  private Registries() {}

  /** How often a gateway that follows the registry looks for newly applied views. */
  static final Duration FOLLOW_INTERVAL = Duration.ofSeconds(5);

  /**
   * The views a gateway serves when it follows the registry: the current version of every view
   * applied, read again every {@link #FOLLOW_INTERVAL}, so a view applied later is served without a
   * restart.
   */
  static CatalogSource follow(Registry registry) {
    return CatalogSource.polling(
        () -> Catalog.of(registry.latestViews().stream().map(RegisteredView::definition).toList()),
        FOLLOW_INTERVAL);
  }

  /** Opens the registry in the Postgres {@code pg} names. */
  static Registry open(Setting pg) {
    try {
      return Registry.open(pg.value());
    } catch (RegistryException e) {
      throw new StackException(
          e.getMessage()
              + " (Postgres from "
              + pg.source()
              + "; name the right one with --pg-url or FRESHET_PG_URL)",
          e);
    }
  }

  /**
   * Fails unless each view is registered with exactly this meaning as its current version: a job
   * must write under the version the gateway and the training sets read.
   */
  static void requireApplied(Registry registry, Setting pg, List<ViewPlan> plans, Path jar) {
    String apply = "run `freshet apply" + (jar == null ? "" : " --definitions " + jar) + "` first";
    for (ViewPlan p : plans) {
      Optional<RegisteredView> current;
      try {
        current = registry.view(p.name());
      } catch (RegistryException e) {
        throw new StackException(e.getMessage(), e);
      }
      if (current.isEmpty()) {
        throw new StackException(
            "feature view '"
                + p.name()
                + "' is not registered in the registry at "
                + PostgresOption.display(pg.value())
                + ": "
                + apply
                + ", so the gateway and the training sets know its version");
      }
      RegisteredView r = current.get();
      if (!r.fingerprint().equals(p.fingerprint())) {
        throw new StackException(
            "feature view '"
                + p.name()
                + "' is registered with another meaning: version "
                + r.version()
                + " (tag "
                + r.versionTag()
                + ") is current, these definitions give tag "
                + p.versionTag()
                + ": "
                + apply
                + " to register this meaning");
      }
    }
  }
}
