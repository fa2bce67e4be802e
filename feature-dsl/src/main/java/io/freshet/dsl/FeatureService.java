package io.freshet.dsl;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A named set of features that a model uses, across views: {@code fraud_model_v3} may read {@code
 * user_activity:event_count_1h} and {@code merchant_stats:chargeback_rate_7d}. The gateway serves a
 * service in one request and the training-set builder builds a set for it. Immutable and
 * thread-safe.
 */
public record FeatureService(String name, List<FeatureRef> features) implements Serializable {

  /** One feature of a view, written {@code view:feature}. */
  public record FeatureRef(String view, String feature) implements Serializable {
    public FeatureRef {
      Names.checkIdentifier("feature view", view);
      Names.checkIdentifier("feature", feature);
    }

    /** Parses {@code view:feature}. */
    public static FeatureRef parse(String text) {
      int colon = text == null ? -1 : text.indexOf(':');
      if (colon <= 0 || colon == text.length() - 1 || text.indexOf(':', colon + 1) >= 0) {
        throw new DefinitionException(
            "feature reference '"
                + text
                + "' must be written view:feature (e.g. user_activity:event_count_1h)");
      }
      return new FeatureRef(text.substring(0, colon), text.substring(colon + 1));
    }

    @Override
    public String toString() {
      return view + ":" + feature;
    }
  }

  public FeatureService {
    Names.checkIdentifier("feature service", name);
    features = List.copyOf(Objects.requireNonNull(features, "features"));
    if (features.isEmpty()) {
      throw new DefinitionException("feature service '" + name + "' lists no features");
    }
    Set<FeatureRef> seen = new HashSet<>();
    for (FeatureRef r : features) {
      if (!seen.add(r)) {
        throw new DefinitionException(
            "feature service '" + name + "' lists " + r + " twice (remove one)");
      }
    }
  }

  /** A service of the given {@code view:feature} references. */
  public static FeatureService of(String name, String... refs) {
    List<FeatureRef> list = new ArrayList<>();
    for (String r : refs) {
      list.add(FeatureRef.parse(r));
    }
    return new FeatureService(name, list);
  }
}
