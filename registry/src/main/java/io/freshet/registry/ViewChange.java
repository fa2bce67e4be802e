package io.freshet.registry;

import io.freshet.dsl.FeatureView;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.ViewPlan;

/**
 * What applying one view does to the registry. Immutable.
 *
 * @param kind the kind of change
 * @param plan the normalized definition being applied
 * @param version the version the definition has once applied
 * @param previous the version current before the apply, or null for a {@link Kind#NEW} view
 * @param versionExists whether {@code version} was registered before this apply: true unless the
 *     view is new or its meaning has never been registered
 */
public record ViewChange(
    Kind kind, ViewPlan plan, int version, RegisteredView previous, boolean versionExists) {

  /** What happens to a view's name, version and offline table. */
  public enum Kind {
    /** A name never registered: version 1 and a new offline table. */
    NEW,
    /**
     * A new meaning (fingerprint) for a registered name: a new version with its own offline table,
     * or a return to the earlier version that had this meaning and its table. Old and new values
     * never share a table.
     */
    CHANGED,
    /**
     * The same meaning with other settings (TTL, availability delay, idle timeout): the current
     * version and its table stay; the stored definition is replaced.
     */
    SETTINGS_CHANGED,
    /** Exactly the registered definition: nothing to do. */
    UNCHANGED
  }

  public String name() {
    return plan.name();
  }

  public FeatureView view() {
    return plan.view();
  }

  /** The offline table the view's rows go to once applied. */
  public OfflineTable offlineTable() {
    return OfflineTable.of(plan);
  }
}
