package io.freshet.plan;

import io.freshet.dsl.Aggregation;
import io.freshet.dsl.AggregationKind;
import io.freshet.dsl.Durations;
import io.freshet.dsl.Expression;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.Filter;
import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One normalized output of a view: what the operator computes and the name under which it is stored
 * (offline column and online field alike). It is either {@linkplain Aggregated aggregated} from
 * events over a window, or {@linkplain Derived derived} by an expression from other parts when a
 * window fires; a table-sourced view's parts are {@linkplain Column columns} of its rows. Engines
 * address parts by what they are, through {@link ViewPlan#aggregatedParts()}, {@link
 * ViewPlan#derivedParts()} and {@link ViewPlan#columnParts()}.
 */
public sealed interface FeaturePart extends Serializable
    permits FeaturePart.Aggregated, FeaturePart.Derived, FeaturePart.Column {

  /** Position in the view's parts: the order of values in rows and of offline columns. */
  int index();

  /** The column and field name. */
  String name();

  /** The value type. */
  FeatureType type();

  /** Whether this part is computed from other parts rather than from events. */
  default boolean isDerived() {
    return this instanceof Derived;
  }

  /** Canonical text of the part's meaning; the name is part of it, so a rename is a change. */
  String describe();

  /**
   * A part aggregated from events over its own window.
   *
   * @param index position in the view's parts
   * @param name the column and field name
   * @param aggregation what is computed
   * @param filter which events take part, or null for all
   * @param windowSizeMillis the window size, or {@link #LIFETIME} for a lifetime window
   */
  record Aggregated(
      int index, String name, Aggregation aggregation, Filter filter, long windowSizeMillis)
      implements FeaturePart {
    private static final long serialVersionUID = 1L;

    /** The window size of a lifetime part: every event since the entity was first seen. */
    public static final long LIFETIME = Long.MAX_VALUE;

    public Aggregated {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(aggregation, "aggregation");
    }

    /** The aggregation's row in the table of kinds. */
    public AggregationKind kind() {
      return aggregation.kind();
    }

    @Override
    public FeatureType type() {
      return aggregation.resultType();
    }

    /** The filter, if only some events take part. */
    public Optional<Filter> where() {
      return Optional.ofNullable(filter);
    }

    /** Whether the part aggregates every event since the entity was first seen. */
    public boolean isLifetime() {
      return windowSizeMillis == LIFETIME;
    }

    @Override
    public String describe() {
      StringBuilder sb = new StringBuilder();
      sb.append(name).append(": ").append(type().name()).append(" = ");
      sb.append(aggregation.describe());
      where().ifPresent(f -> sb.append(" where ").append(f.describe()));
      sb.append(" over ")
          .append(
              isLifetime() ? "lifetime" : Durations.format(Duration.ofMillis(windowSizeMillis)));
      return sb.toString();
    }
  }

  /**
   * A part computed from other parts by an expression; always {@link FeatureType#FLOAT64}.
   *
   * @param index position in the view's parts
   * @param name the column and field name
   * @param derivation the expression over other parts' names
   */
  record Derived(int index, String name, Expression derivation) implements FeaturePart {
    private static final long serialVersionUID = 1L;

    public Derived {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(derivation, "derivation");
    }

    @Override
    public FeatureType type() {
      return FeatureType.FLOAT64;
    }

    @Override
    public String describe() {
      return name + ": " + type().name() + " = " + derivation.describe();
    }
  }

  /**
   * A part read as it is from a column of a table-sourced view's rows. Timestamp columns are read
   * as INT64 epoch milliseconds.
   *
   * @param index position in the view's parts
   * @param name the column and field name in Freshet's stores
   * @param column the column in the source table or query
   * @param type the value type
   */
  record Column(int index, String name, String column, FeatureType type) implements FeaturePart {
    private static final long serialVersionUID = 1L;

    public Column {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(column, "column");
      Objects.requireNonNull(type, "type");
    }

    @Override
    public String describe() {
      return name + ": " + type.name() + " = column " + column;
    }
  }
}
