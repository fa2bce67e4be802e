package io.freshet.plan;

import io.freshet.dsl.FeatureDefinitions;
import io.freshet.dsl.FeatureView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** The views known to a process, by name, each normalized once. */
public final class Catalog {
  private final Map<String, ViewPlan> plans;

  private Catalog(Map<String, ViewPlan> plans) {
    this.plans = plans;
  }

  /** A catalog of the given views; names must be unique. */
  public static Catalog of(List<FeatureView> views) {
    Map<String, ViewPlan> m = new LinkedHashMap<>();
    for (FeatureView v : views) {
      if (m.put(v.name(), ViewPlan.of(v)) != null) {
        throw new IllegalArgumentException(
            "feature view '" + v.name() + "' is defined twice (view names must be unique)");
      }
    }
    return new Catalog(m);
  }

  /** Every {@link FeatureDefinitions} visible to the class loader. */
  public static Catalog load(ClassLoader loader) {
    List<FeatureView> views = new ArrayList<>();
    for (FeatureDefinitions d : ServiceLoader.load(FeatureDefinitions.class, loader)) {
      views.addAll(d.views());
    }
    return of(views);
  }

  /** The plan of a view; the message lists the known views when there is none. */
  public ViewPlan plan(String viewName) {
    ViewPlan p = plans.get(viewName);
    if (p == null) {
      throw new IllegalArgumentException(
          "unknown feature view '" + viewName + "' (known views: " + plans.keySet() + ")");
    }
    return p;
  }

  /** The plan of a view, or null. */
  public ViewPlan find(String viewName) {
    return plans.get(viewName);
  }

  public List<ViewPlan> plans() {
    return List.copyOf(plans.values());
  }
}
