package io.freshet.dsl;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A named set of features that a model uses, across views: {@code fraud_model_v3} may read {@code
 * user_activity:event_count_1h} and {@code merchant_stats:chargeback_rate_7d}. The gateway serves a
 * service in one request and the training-set builder builds a set for it. Immutable and
 * thread-safe.
 *
 * <p>A service may also declare request fields (values the caller sends with each request: the
 * gateway's {@code request_context}, a training set's label columns) and on-demand features, typed
 * expressions over request fields and stored features evaluated after the lookup:
 *
 * <pre>{@code
 * FeatureService.named("checkout")
 *     .features("user_activity:avg_revenue_per_purchase_1h")
 *     .requestField("amount", FeatureType.FLOAT64)
 *     .onDemand("amount_vs_avg_purchase",
 *         divide(field("amount"), feature("user_activity:avg_revenue_per_purchase_1h"), 0))
 *     .build();
 * }</pre>
 *
 * Names of stored outputs, request fields and on-demand features must not clash. Types are checked
 * against the views when the service joins a catalog ({@code io.freshet.plan.OnDemandPlan}).
 *
 * @param features the stored features served, in order
 * @param requestFields the request fields, in order
 * @param onDemand the on-demand features, served after the stored ones, in order
 */
public record FeatureService(
    String name,
    List<FeatureRef> features,
    List<RequestFieldSpec> requestFields,
    List<OnDemandFeature> onDemand)
    implements Serializable {

  /** A value the caller sends with each request: name and type (INT64, FLOAT64 or STRING). */
  public record RequestFieldSpec(String name, FeatureType type) implements Serializable {
    public RequestFieldSpec {
      Names.checkIdentifier("request field", name);
      if (type == null || type == FeatureType.STRING_LIST) {
        throw new DefinitionException(
            "request field '"
                + name
                + "' has type "
                + type
                + " (use INT64, FLOAT64 or STRING; INT64 for epoch-millisecond timestamps)");
      }
    }
  }

  /** An on-demand feature: a name and its expression. */
  public record OnDemandFeature(String name, OnDemandExpression expression)
      implements Serializable {
    public OnDemandFeature {
      Names.checkIdentifier("on-demand feature", name);
      if (expression == null) {
        throw new DefinitionException("on-demand feature '" + name + "' needs an expression");
      }
    }
  }

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
    requestFields = List.copyOf(Objects.requireNonNull(requestFields, "requestFields"));
    onDemand = List.copyOf(Objects.requireNonNull(onDemand, "onDemand"));
    if (features.isEmpty() && onDemand.isEmpty()) {
      throw new DefinitionException("feature service '" + name + "' lists no features");
    }
    Set<FeatureRef> seen = new HashSet<>();
    Set<String> names = new HashSet<>();
    for (FeatureRef r : features) {
      if (!seen.add(r)) {
        throw new DefinitionException(
            "feature service '" + name + "' lists " + r + " twice (remove one)");
      }
      names.add(r.feature());
    }
    Set<String> fields = new LinkedHashSet<>();
    for (RequestFieldSpec f : requestFields) {
      if (!fields.add(f.name())) {
        throw new DefinitionException(
            "feature service '" + name + "' declares request field '" + f.name() + "' twice");
      }
    }
    for (OnDemandFeature f : onDemand) {
      if (names.contains(f.name()) || fields.contains(f.name()) || !names.add(f.name())) {
        throw new DefinitionException(
            "feature service '"
                + name
                + "': on-demand feature '"
                + f.name()
                + "' has the name of another output or request field (rename it)");
      }
    }
  }

  /** A service of stored features only. */
  public FeatureService(String name, List<FeatureRef> features) {
    this(name, features, List.of(), List.of());
  }

  /** A builder of a service named {@code name}. */
  public static Builder named(String name) {
    return new Builder(name);
  }

  /** Builds a {@link FeatureService}. */
  public static final class Builder {
    private final String name;
    private final List<FeatureRef> features = new ArrayList<>();
    private final List<RequestFieldSpec> requestFields = new ArrayList<>();
    private final List<OnDemandFeature> onDemand = new ArrayList<>();

    private Builder(String name) {
      this.name = name;
    }

    /** Adds stored features, {@code view:feature}. */
    public Builder features(String... refs) {
      for (String r : refs) {
        features.add(FeatureRef.parse(r));
      }
      return this;
    }

    /** Declares a request field. */
    public Builder requestField(String fieldName, FeatureType type) {
      requestFields.add(new RequestFieldSpec(fieldName, type));
      return this;
    }

    /** Adds an on-demand feature. */
    public Builder onDemand(String featureName, OnDemandExpression expression) {
      onDemand.add(new OnDemandFeature(featureName, expression));
      return this;
    }

    public FeatureService build() {
      return new FeatureService(name, features, requestFields, onDemand);
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
