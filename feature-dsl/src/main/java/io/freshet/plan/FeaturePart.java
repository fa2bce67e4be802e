package io.freshet.plan;

import io.freshet.dsl.Aggregation;
import io.freshet.dsl.Durations;
import io.freshet.dsl.Expression;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.Filter;
import java.io.Serializable;
import java.time.Duration;
import java.util.Optional;

/**
 * One normalized output of a view: what the operator computes and the name under which it is stored
 * (offline column and online field alike). An aggregated part has an aggregation and a window; a
 * derived part has an expression over earlier parts.
 *
 * @param index position in the view's parts, the order of values in rows and online records
 * @param name the column and field name
 * @param aggregation what is computed, or null for a derived part
 * @param filter which events take part, or null for all
 * @param windowSizeMillis the window size, or 0 for a derived part
 * @param derivation the expression of a derived part, else null
 * @param type the value type
 */
public record FeaturePart(
    int index,
    String name,
    Aggregation aggregation,
    Filter filter,
    long windowSizeMillis,
    Expression derivation,
    FeatureType type)
    implements Serializable {

  /** The filter, if only some events take part. */
  public Optional<Filter> where() {
    return Optional.ofNullable(filter);
  }

  /** Whether this part is computed from other parts rather than from events. */
  public boolean isDerived() {
    return derivation != null;
  }

  /** Canonical text of the part's meaning; the name is part of it, so a rename is a change. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append(name).append(": ").append(type.name()).append(" = ");
    if (isDerived()) {
      return sb.append(derivation.describe()).toString();
    }
    sb.append(aggregation.describe());
    where().ifPresent(f -> sb.append(" where ").append(f.describe()));
    sb.append(" over ").append(Durations.format(Duration.ofMillis(windowSizeMillis)));
    return sb.toString();
  }
}
