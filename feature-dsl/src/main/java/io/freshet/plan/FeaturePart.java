package io.freshet.plan;

import io.freshet.dsl.Aggregation;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.Filter;
import java.io.Serializable;
import java.util.Optional;

/**
 * One normalized output of a view: what the operator computes and the name under which it is stored
 * (offline column and online field alike).
 *
 * @param index position in the view's parts, the order of values in rows and online records
 * @param name the column and field name
 * @param aggregation what is computed
 * @param filter which events take part, or null for all
 * @param windowSizeMillis the window size
 * @param type the value type
 */
public record FeaturePart(
    int index,
    String name,
    Aggregation aggregation,
    Filter filter,
    long windowSizeMillis,
    FeatureType type)
    implements Serializable {

  /** The filter, if only some events take part. */
  public Optional<Filter> where() {
    return Optional.ofNullable(filter);
  }

  /** Canonical text of the part's meaning (name excluded from nothing: renaming is a change). */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append(name).append(": ").append(type.name()).append(" = ").append(aggregation.op());
    sb.append('(').append(aggregation.inputField() == null ? "*" : aggregation.inputField());
    sb.append(')');
    where().ifPresent(f -> sb.append(" where ").append(f.describe()));
    sb.append(" over ")
        .append(io.freshet.dsl.Durations.format(java.time.Duration.ofMillis(windowSizeMillis)));
    return sb.toString();
  }
}
