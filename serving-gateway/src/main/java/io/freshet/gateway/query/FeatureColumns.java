package io.freshet.gateway.query;

import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureType;
import io.freshet.gateway.catalog.FeatureRef;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.OnDemandPlan;
import io.freshet.plan.ViewPlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Feature references resolved against the catalog: the plan and part behind each answer column, and
 * the distinct views they read, in order of first use.
 *
 * @param columns one per requested feature, in answer order
 * @param views the distinct view versions the columns and inputs read
 * @param inputs the stored features the on-demand features read, in {@link OnDemandPlan#inputs()}
 *     order (not answered unless also in {@code columns})
 * @param onDemand the service's on-demand features, or null for none
 */
public record FeatureColumns(
    List<Column> columns, List<ViewPlan> views, List<Column> inputs, OnDemandPlan onDemand) {

  /** Stored features only. */
  public FeatureColumns(List<Column> columns, List<ViewPlan> views) {
    this(columns, views, List.of(), null);
  }

  /** The on-demand column names: the feature, or {@code service__feature} with full names. */
  public List<String> onDemandNames(boolean fullFeatureNames) {
    if (onDemand == null) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (OnDemandPlan.Output o : onDemand.outputs()) {
      names.add(fullFeatureNames ? onDemand.service() + "__" + o.name() : o.name());
    }
    return names;
  }

  /**
   * One answer column.
   *
   * @param ref the feature as requested
   * @param plan the view version it is read from
   * @param part the plan part holding its value
   * @param name the column name: the feature, or {@code view__feature} with full feature names
   * @param view the index of {@code plan} in {@link FeatureColumns#views()}
   */
  public record Column(FeatureRef ref, ViewPlan plan, FeaturePart part, String name, int view) {}

  /**
   * Resolves a request's {@code features} list; faults name {@code features[i]}.
   *
   * @throws RequestRejection 400 for an unknown view or feature, or two columns of one name
   */
  public static FeatureColumns ofFeatures(
      List<FeatureRef> refs, Catalog catalog, boolean fullFeatureNames) {
    FeatureColumns known = PlainRequestReader.resolved(refs, catalog, fullFeatureNames);
    if (known != null) {
      return known;
    }
    FeatureColumns columns = resolve(refs, catalog, fullFeatureNames, null);
    PlainRequestReader.remember(refs, catalog, fullFeatureNames, columns);
    return columns;
  }

  /**
   * Resolves a feature service by name; an unknown name is the client's fault (400), a service
   * naming what the catalog lacks is the server's (500).
   *
   * @param field where the name came from, for the error: {@code feature_service} or a path part
   * @param unknownStatus the status for an unknown name: 400 in a body, 404 in a path
   */
  public static FeatureColumns ofService(
      String name,
      FeatureServiceResolver services,
      Catalog catalog,
      boolean fullFeatureNames,
      String field,
      int unknownStatus) {
    List<FeatureRef> refs =
        services
            .features(name)
            .orElseThrow(
                () ->
                    new RequestRejection(
                        unknownStatus,
                        "unknown_feature_service",
                        field,
                        JsonText.clip(name),
                        "unknown feature service '"
                            + JsonText.clip(name)
                            + "' (known services: "
                            + services.names()
                            + ")"));
    FeatureService definition = services.definition(name).orElse(null);
    if (definition == null || definition.onDemand().isEmpty()) {
      return resolve(refs, catalog, fullFeatureNames, name);
    }
    OnDemandPlan plan;
    try {
      plan = OnDemandPlan.of(definition, ref -> featureType(catalog, ref));
    } catch (DefinitionException e) {
      throw new RequestRejection(
          500,
          "invalid_feature_service",
          "feature_service",
          JsonText.clip(name),
          "feature service '"
              + name
              + "' cannot be served: "
              + e.getMessage()
              + " (fix the service's definition, or apply the view it needs)");
    }
    List<FeatureRef> all = new ArrayList<>(refs);
    for (FeatureService.FeatureRef r : plan.inputs()) {
      all.add(FeatureRef.parse(r.toString()));
    }
    FeatureColumns resolved = resolve(all, catalog, fullFeatureNames, name, refs.size());
    List<Column> columns = resolved.columns();
    return new FeatureColumns(
        columns.subList(0, refs.size()),
        resolved.views(),
        columns.subList(refs.size(), columns.size()),
        plan);
  }

  private static FeatureType featureType(Catalog catalog, FeatureService.FeatureRef ref) {
    ViewPlan plan = catalog.find(ref.view());
    FeaturePart part = plan == null ? null : partOrNull(plan, ref.feature());
    return part == null ? null : part.type();
  }

  private static FeatureColumns resolve(
      List<FeatureRef> refs, Catalog catalog, boolean fullNames, String service) {
    return resolve(refs, catalog, fullNames, service, refs.size());
  }

  /** Resolves {@code refs}; names must be distinct among the first {@code answered}. */
  private static FeatureColumns resolve(
      List<FeatureRef> refs, Catalog catalog, boolean fullNames, String service, int answered) {
    Map<String, Integer> viewIndex = new LinkedHashMap<>();
    List<ViewPlan> views = new ArrayList<>();
    List<Column> columns = new ArrayList<>(refs.size());
    Map<String, Integer> names = new HashMap<>();
    for (int i = 0; i < refs.size(); i++) {
      FeatureRef ref = refs.get(i);
      ViewPlan plan = catalog.find(ref.view());
      if (plan == null) {
        throw unresolved(
            service,
            field(service, i),
            ref,
            "unknown_view",
            "unknown feature view '"
                + JsonText.clip(ref.view())
                + "' (known views: "
                + catalog.plans().stream().map(ViewPlan::name).toList()
                + ")");
      }
      FeaturePart part = partOrNull(plan, ref.feature());
      if (part == null) {
        throw unresolved(
            service,
            field(service, i),
            ref,
            "unknown_feature",
            "feature view '"
                + plan.name()
                + "' has no feature '"
                + JsonText.clip(ref.feature())
                + "' (features: "
                + plan.parts().stream().map(FeaturePart::name).toList()
                + ")");
      }
      Integer v = viewIndex.get(plan.name());
      if (v == null) {
        v = views.size();
        viewIndex.put(plan.name(), v);
        views.add(plan);
      }
      String name = fullNames ? ref.fullName() : ref.feature();
      Integer clash = i < answered ? names.putIfAbsent(name, i) : null;
      if (clash != null) {
        throw RequestRejection.badRequest(
            field(service, i),
            ref.toString(),
            "'"
                + refs.get(clash)
                + "' and '"
                + ref
                + "' would both be answered as '"
                + name
                + "' (set \"full_feature_names\": true to name columns view__feature)");
      }
      columns.add(new Column(ref, plan, part, name, v));
    }
    return new FeatureColumns(List.copyOf(columns), List.copyOf(views));
  }

  /** The request part an error about column {@code i} names. */
  private static String field(String service, int i) {
    return service == null ? "features[" + i + "]" : "feature_service";
  }

  private static RequestRejection unresolved(
      String service, String field, FeatureRef ref, String code, String problem) {
    if (service == null) {
      return new RequestRejection(
          400, code, field, JsonText.clip(ref.toString()), field + ": " + problem);
    }
    return new RequestRejection(
        500,
        "invalid_feature_service",
        "feature_service",
        JsonText.clip(service),
        "feature service '"
            + service
            + "' lists "
            + ref
            + ", which the gateway cannot serve: "
            + problem
            + " (fix the service's definition, or apply the view it needs)");
  }

  /**
   * The parts of each view version by name, by fingerprint: a wide request looks up hundreds of
   * features of one view. Grows by one small map per view version served.
   */
  private static final ConcurrentMap<String, Map<String, FeaturePart>> PARTS_BY_NAME =
      new ConcurrentHashMap<>();

  private static FeaturePart partOrNull(ViewPlan plan, String name) {
    Map<String, FeaturePart> parts = PARTS_BY_NAME.get(plan.fingerprint());
    if (parts == null) {
      parts = PARTS_BY_NAME.computeIfAbsent(plan.fingerprint(), f -> byName(plan));
    }
    return parts.get(name);
  }

  private static Map<String, FeaturePart> byName(ViewPlan plan) {
    Map<String, FeaturePart> m = new HashMap<>();
    for (FeaturePart p : plan.parts()) {
      m.putIfAbsent(p.name(), p);
    }
    return Map.copyOf(m);
  }
}
