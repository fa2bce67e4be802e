package io.freshet.plan;

import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.FeatureDefinitions;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.FeatureView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** The views known to a process, by name, each normalized once. */
public final class Catalog {
  private final Map<String, ViewPlan> plans;
  private final Map<String, FeatureService> services;
  private final Map<String, OnDemandPlan> onDemand;

  private Catalog(
      Map<String, ViewPlan> plans,
      Map<String, FeatureService> services,
      Map<String, OnDemandPlan> onDemand) {
    this.plans = plans;
    this.services = services;
    this.onDemand = onDemand;
  }

  /** A catalog of the given views; names must be unique. */
  public static Catalog of(List<FeatureView> views) {
    return of(views, List.of());
  }

  /**
   * A catalog of views and services; names must be unique, every feature a service lists must
   * exist, and its on-demand features must type-check ({@link OnDemandPlan#of}).
   */
  public static Catalog of(List<FeatureView> views, List<FeatureService> services) {
    Map<String, ViewPlan> m = new LinkedHashMap<>();
    for (FeatureView v : views) {
      if (m.put(v.name(), ViewPlan.of(v)) != null) {
        throw new DefinitionException(
            "feature view '" + v.name() + "' is defined twice (view names must be unique)");
      }
    }
    Map<String, FeatureService> s = new LinkedHashMap<>();
    Map<String, OnDemandPlan> od = new LinkedHashMap<>();
    for (FeatureService svc : services) {
      for (FeatureService.FeatureRef r : svc.features()) {
        ViewPlan p = m.get(r.view());
        if (p == null) {
          throw new DefinitionException(
              "feature service '"
                  + svc.name()
                  + "' lists "
                  + r
                  + " but there is no view '"
                  + r.view()
                  + "' (known views: "
                  + m.keySet()
                  + ")");
        }
        if (p.parts().stream().noneMatch(part -> part.name().equals(r.feature()))) {
          throw new DefinitionException(
              "feature service '"
                  + svc.name()
                  + "' lists "
                  + r
                  + " but view '"
                  + r.view()
                  + "' has no feature '"
                  + r.feature()
                  + "'");
        }
      }
      if (s.put(svc.name(), svc) != null) {
        throw new DefinitionException(
            "feature service '" + svc.name() + "' is defined twice (service names must be unique)");
      }
      od.put(svc.name(), OnDemandPlan.of(svc, ref -> featureType(m, ref)));
    }
    return new Catalog(m, s, od);
  }

  private static FeatureType featureType(Map<String, ViewPlan> plans, FeatureService.FeatureRef r) {
    ViewPlan p = plans.get(r.view());
    if (p == null) {
      return null;
    }
    for (FeaturePart part : p.parts()) {
      if (part.name().equals(r.feature())) {
        return part.type();
      }
    }
    return null;
  }

  /** The on-demand features of a service (empty when it has none), or null for no such service. */
  public OnDemandPlan onDemand(String serviceName) {
    return onDemand.get(serviceName);
  }

  /** Every {@link FeatureDefinitions} visible to the class loader. */
  public static Catalog load(ClassLoader loader) {
    List<FeatureView> views = new ArrayList<>();
    List<FeatureService> services = new ArrayList<>();
    for (FeatureDefinitions d : ServiceLoader.load(FeatureDefinitions.class, loader)) {
      views.addAll(d.views());
      services.addAll(d.services());
    }
    return of(views, services);
  }

  /** A feature service by name, or null. */
  public FeatureService service(String serviceName) {
    return services.get(serviceName);
  }

  public List<FeatureService> services() {
    return List.copyOf(services.values());
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
