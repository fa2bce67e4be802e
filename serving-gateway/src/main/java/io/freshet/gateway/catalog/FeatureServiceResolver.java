package io.freshet.gateway.catalog;

import io.freshet.dsl.FeatureService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Named sets of features that a model asks for by one name, as Feast's feature services: {@code
 * "checkout_model" -> [user_activity:event_count_1h, user_activity:conversion_rate_1h]}.
 *
 * <p>Called on the request path: implementations answer from memory and never block. A
 * registry-backed implementation refreshes its own snapshot in the background. References are
 * checked against the catalog when a request uses them, so a service may name a view the gateway
 * has not loaded yet. Implementations must be thread-safe.
 */
public interface FeatureServiceResolver {

  /** The service's features in answer order, or empty when there is no service of that name. */
  Optional<List<FeatureRef>> features(String serviceName);

  /** Every service name, for error messages that list what exists. */
  Set<String> names();

  /**
   * The service's definition with its request fields and on-demand features, or empty when the
   * resolver knows its stored features only (then the service has no on-demand features).
   */
  default Optional<FeatureService> definition(String serviceName) {
    return Optional.empty();
  }

  /**
   * Services as defined in the DSL, with their request fields and on-demand features; the stored
   * features each on-demand feature reads are fetched even when the service does not list them.
   *
   * @throws IllegalArgumentException when two services share a name
   */
  static FeatureServiceResolver ofServices(List<FeatureService> services) {
    Map<String, List<FeatureRef>> refs = new LinkedHashMap<>();
    Map<String, FeatureService> definitions = new LinkedHashMap<>();
    for (FeatureService s : services) {
      if (definitions.put(s.name(), s) != null) {
        throw new IllegalArgumentException(
            "feature service '" + s.name() + "' is defined twice (service names must be unique)");
      }
      refs.put(s.name(), s.features().stream().map(r -> FeatureRef.parse(r.toString())).toList());
    }
    return new MapFeatureServices(refs, definitions);
  }

  /** No feature services: every lookup by service answers that the name is unknown. */
  static FeatureServiceResolver none() {
    return of(Map.of());
  }

  /**
   * Services given as {@code name -> ["view:feature", ...]}, copied and checked now.
   *
   * @throws IllegalArgumentException naming the service and the reference when a name is blank, a
   *     service is empty, a reference is not {@code view:feature}, or a reference repeats
   */
  static FeatureServiceResolver of(Map<String, List<String>> services) {
    Map<String, List<FeatureRef>> parsed = new LinkedHashMap<>();
    services.forEach(
        (name, refs) -> {
          if (name == null || name.isBlank()) {
            throw new IllegalArgumentException(
                "feature service name is blank (name each service, e.g. \"checkout_model\")");
          }
          if (refs == null || refs.isEmpty()) {
            throw new IllegalArgumentException(
                "feature service '"
                    + name
                    + "' has no features (list them as view:feature, e.g."
                    + " user_activity:event_count_1h)");
          }
          List<FeatureRef> list = new ArrayList<>(refs.size());
          Set<FeatureRef> seen = new HashSet<>();
          for (String ref : refs) {
            FeatureRef r;
            try {
              r = FeatureRef.parse(String.valueOf(ref));
            } catch (IllegalArgumentException e) {
              throw new IllegalArgumentException(
                  "feature service '" + name + "': " + e.getMessage(), e);
            }
            if (!seen.add(r)) {
              throw new IllegalArgumentException(
                  "feature service '" + name + "' lists " + r + " twice (list each feature once)");
            }
            list.add(r);
          }
          parsed.put(name, List.copyOf(list));
        });
    return new MapFeatureServices(parsed);
  }
}
