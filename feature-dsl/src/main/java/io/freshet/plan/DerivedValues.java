package io.freshet.plan;

import io.freshet.dsl.FeatureType;
import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Computes a view's derived parts from its aggregated parts: the one definition of their values.
 * The window operator fills them in when a window fires, and the online codec, which does not store
 * them, fills them in again when it decodes a value; both must use this class so that a value read
 * back is bit-identical to the value computed.
 *
 * <p>Derived parts are evaluated in part order. A reference to an aggregated part reads its value
 * as a double ({@link Number#doubleValue()}, null stays null); a reference to a derived part reads
 * the value already computed for it (a view only refers to derived parts declared before).
 * Immutable and thread-safe.
 */
public final class DerivedValues implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String view;
  private final int partCount;
  private final List<FeaturePart.Derived> derived;
  private final Map<String, FeaturePart> byName;

  private DerivedValues(ViewPlan plan) {
    this.view = plan.name();
    this.partCount = plan.parts().size();
    this.derived = plan.derivedParts();
    Map<String, FeaturePart> m = new HashMap<>();
    for (FeaturePart p : plan.parts()) {
      m.put(p.name(), p);
    }
    this.byName = Map.copyOf(m);
  }

  /** The derivations of a plan. */
  public static DerivedValues of(ViewPlan plan) {
    return new DerivedValues(plan);
  }

  /** Whether the plan has any derived part. */
  public boolean isEmpty() {
    return derived.isEmpty();
  }

  /**
   * Sets every derived part of {@code values} (indexed by part, as in a row) from the aggregated
   * parts it holds; the derived slots' previous contents are ignored.
   *
   * @throws IllegalArgumentException if {@code values} does not have one slot per part
   */
  public void fill(Object[] values) {
    if (values.length != partCount) {
      throw new IllegalArgumentException(
          "values for view '"
              + view
              + "' have "
              + values.length
              + " slots, the plan has "
              + partCount
              + " parts");
    }
    for (FeaturePart.Derived d : derived) {
      values[d.index()] = null;
    }
    for (FeaturePart.Derived d : derived) {
      values[d.index()] = d.derivation().evaluate(name -> numeric(values, name));
    }
  }

  private Double numeric(Object[] values, String name) {
    FeaturePart p = byName.get(name);
    if (p == null) {
      throw new IllegalArgumentException("view '" + view + "' has no part '" + name + "'");
    }
    Object v = values[p.index()];
    if (p.isDerived()) {
      return (Double) v;
    }
    if (p.type() != FeatureType.INT64 && p.type() != FeatureType.FLOAT64) {
      throw new IllegalArgumentException(
          "view '" + view + "': part '" + name + "' is " + p.type() + ", not numeric");
    }
    return v == null ? null : ((Number) v).doubleValue();
  }
}
