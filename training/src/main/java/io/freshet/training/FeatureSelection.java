package io.freshet.training;

import io.freshet.dsl.FeatureService.FeatureRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The features of a training set: a list of {@code view:feature}, or a feature service's list. */
public sealed interface FeatureSelection {

  /** Features written {@code view:feature}, e.g. {@code user_activity:event_count_1h}. */
  static FeatureSelection of(String... refs) {
    return of(List.of(refs));
  }

  /** Features written {@code view:feature}, in output column order. */
  static FeatureSelection of(List<String> refs) {
    List<FeatureRef> parsed = new ArrayList<>();
    for (String r : refs) {
      parsed.add(FeatureRef.parse(r));
    }
    return new Refs(parsed);
  }

  /** The features of a feature service, in the service's order. */
  static FeatureSelection service(String serviceName) {
    return new Service(serviceName);
  }

  /**
   * Explicit features.
   *
   * @param refs the features, in output column order; at least one, none twice
   */
  record Refs(List<FeatureRef> refs) implements FeatureSelection {
    public Refs {
      refs = List.copyOf(Objects.requireNonNull(refs, "refs"));
      if (refs.isEmpty()) {
        throw new IllegalArgumentException(
            "no features selected (name at least one view:feature, e.g."
                + " user_activity:event_count_1h, or a feature service)");
      }
      if (refs.stream().distinct().count() != refs.size()) {
        throw new IllegalArgumentException("features " + refs + " name a feature twice");
      }
    }
  }

  /**
   * A feature service of the catalog.
   *
   * @param name the service name
   */
  record Service(String name) implements FeatureSelection {
    public Service {
      Objects.requireNonNull(name, "name");
    }
  }
}
