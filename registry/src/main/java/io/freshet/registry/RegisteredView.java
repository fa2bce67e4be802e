package io.freshet.registry;

import io.freshet.dsl.FeatureView;
import io.freshet.plan.ViewPlan;
import java.time.Instant;

/**
 * One registered version of a feature view, read back from the registry. Immutable.
 *
 * @param name the view's name
 * @param version 1, 2, 3... in the order the view's meanings were first applied
 * @param fingerprint the fingerprint the definition had when it was registered
 * @param versionTag the first 10 hex digits of the fingerprint: it names the version's offline
 *     table and is part of its online keys
 * @param definition the definition, read back from its JSON form
 * @param current whether this is the version the name stands for now (the latest applied)
 * @param appliedAt when this version was first registered
 * @param updatedAt when its settings last changed or it last became current again
 */
public record RegisteredView(
    String name,
    int version,
    String fingerprint,
    String versionTag,
    FeatureView definition,
    boolean current,
    Instant appliedAt,
    Instant updatedAt) {

  /** The normalized plan of the definition. */
  public ViewPlan plan() {
    return ViewPlan.of(definition);
  }
}
