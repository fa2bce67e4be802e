package io.freshet.registry;

import io.freshet.dsl.FeatureView;
import io.freshet.plan.ViewPlan;
import io.freshet.registry.ViewChange.Kind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What applying definitions would change in the registry: compares each view with the registered
 * versions of its name. Reads and writes nothing itself; {@link Registry} hands it the rows.
 */
final class RegistryDiff {
  private RegistryDiff() {}

  /**
   * The plan for {@code views}, given every registered version of their names and the current
   * versions of every other name.
   */
  static Plan plan(
      List<FeatureView> views, List<RegistryRow> versionsOfNames, List<RegistryRow> otherCurrent) {
    checkUniqueNames(views);
    Map<String, List<RegistryRow>> byName = new LinkedHashMap<>();
    for (RegistryRow r : versionsOfNames) {
      byName.computeIfAbsent(r.name(), n -> new ArrayList<>()).add(r);
    }
    List<ViewChange> changes = new ArrayList<>();
    for (FeatureView v : views) {
      changes.add(change(ViewPlan.of(v), byName.getOrDefault(v.name(), List.of())));
    }
    List<RegisteredView> others = new ArrayList<>();
    for (RegistryRow r : otherCurrent) {
      others.add(r.registered());
    }
    return new Plan(changes, others);
  }

  /** What applying one view does, given the registered versions of its name. */
  static ViewChange change(ViewPlan plan, List<RegistryRow> versions) {
    if (versions.isEmpty()) {
      return new ViewChange(Kind.NEW, plan, 1, null, false);
    }
    RegistryRow current = null;
    RegistryRow sameMeaning = null;
    int maxVersion = 0;
    for (RegistryRow r : versions) {
      maxVersion = Math.max(maxVersion, r.version());
      if (r.current()) {
        current = r;
      }
      if (r.fingerprint().equals(plan.fingerprint())) {
        sameMeaning = r;
      }
    }
    if (current == null) {
      throw new RegistryException(
          "view '"
              + plan.name()
              + "' has versions but none is current: the registry was edited"
              + " by hand (mark one row of freshet.feature_views current)");
    }
    RegisteredView previous = current.registered();
    if (current == sameMeaning) {
      Kind kind =
          previous.definition().equals(plan.view()) ? Kind.UNCHANGED : Kind.SETTINGS_CHANGED;
      return new ViewChange(kind, plan, current.version(), previous, true);
    }
    if (sameMeaning != null) {
      return new ViewChange(Kind.CHANGED, plan, sameMeaning.version(), previous, true);
    }
    return new ViewChange(Kind.CHANGED, plan, maxVersion + 1, previous, false);
  }

  /**
   * @throws IllegalArgumentException if two views share a name
   */
  static void checkUniqueNames(List<FeatureView> views) {
    Set<String> seen = new HashSet<>();
    for (FeatureView v : views) {
      if (!seen.add(v.name())) {
        throw new IllegalArgumentException(
            "feature view '" + v.name() + "' is given twice (view names must be unique)");
      }
    }
  }
}
