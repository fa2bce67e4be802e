package io.freshet.dsl;

import java.io.Serializable;

/**
 * A feature computed from other features of the same view when a window fires, e.g. the conversion
 * rate {@code purchase_count_1h / event_count_1h}. Its type is {@link FeatureType#FLOAT64}.
 * Immutable and thread-safe.
 *
 * <pre>{@code
 * DerivedFeature.named("conversion_rate_1h")
 *     .as(ratio(ref("purchase_count_1h"), ref("event_count_1h"), 0));
 * }</pre>
 */
public record DerivedFeature(String name, Expression expression) implements Serializable {
  public DerivedFeature {
    Names.checkIdentifier("derived feature", name);
    if (expression == null) {
      throw new DefinitionException("derived feature '" + name + "' has no expression");
    }
  }

  /** Starts a derived feature; finish it with {@link Builder#as}. */
  public static Builder named(String name) {
    return new Builder(Names.checkIdentifier("derived feature", name));
  }

  /** A step of the builder. */
  public record Builder(String name) {
    public DerivedFeature as(Expression expression) {
      return new DerivedFeature(name, expression);
    }
  }
}
