package io.freshet.dsl;

import java.io.Serializable;
import java.util.Optional;

/**
 * One feature of a view: an aggregation over a window, optionally over the events that match a
 * filter.
 *
 * <pre>{@code
 * Feature.named("purchase_count_1h")
 *     .aggregate(Aggregation.count())
 *     .where(Filter.equalTo("event_type", "purchase"))
 *     .over(SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15)));
 * }</pre>
 *
 * <p>The name becomes the offline column and the online field. {@code filter} is null when every
 * event takes part. Immutable and thread-safe.
 */
public record Feature(
    String name, Aggregation aggregation, Filter filter, SlidingWindow window, TableColumn column)
    implements Serializable {

  /**
   * A column of a table-sourced view's rows, taken as it is: the feature's value is the column's
   * value in the entity's row. Timestamp columns ({@code timestamptz}, {@code timestamp}, {@code
   * date}) are read as INT64 epoch milliseconds, as Freshet carries every instant.
   *
   * @param column the column name in the table or query
   * @param type the feature's type
   */
  public record TableColumn(String column, FeatureType type) implements Serializable {
    public TableColumn {
      PostgresTableSource.checkColumn("column", column);
      if (type == null) {
        throw new DefinitionException(
            "column '" + column + "' has no type (e.g. column(\"country\", FeatureType.STRING))");
      }
    }
  }

  /** An aggregated feature. */
  public Feature(String name, Aggregation aggregation, Filter filter, SlidingWindow window) {
    this(name, aggregation, filter, window, null);
  }

  public Feature {
    Names.checkIdentifier("feature", name);
    if (column != null) {
      if (aggregation != null || filter != null || window != null) {
        throw new DefinitionException(
            "feature '"
                + name
                + "' is a column of a table and cannot also aggregate, filter or have a window"
                + " (declare either column(...) or aggregate(...).over(...))");
      }
    } else {
      if (aggregation == null) {
        throw new DefinitionException(
            "feature '"
                + name
                + "' has no aggregation: call aggregate(Aggregation.count()) or similar");
      }
      if (window == null) {
        throw new DefinitionException(
            "feature '" + name + "' has no window: call over(SlidingWindow.of(size, slide))");
      }
    }
  }

  /** Whether the feature is a column of a table-sourced view rather than an aggregation. */
  public boolean isColumn() {
    return column != null;
  }

  /** The filter, if only some events take part. */
  public Optional<Filter> where() {
    return Optional.ofNullable(filter);
  }

  /** Starts a feature with the given name; finish it with {@link Builder#over}. */
  public static Builder named(String name) {
    return new Builder(Names.checkIdentifier("feature", name), null, null);
  }

  /**
   * Starts a feature named after what it computes: {@code {input}_{op}_{window}}, e.g. {@code
   * revenue_sum_1h} ({@code event_count_1h} for a count).
   */
  public static Builder of(Aggregation aggregation) {
    return new Builder(null, aggregation, null);
  }

  /** A step of the feature builder: the aggregation and filter chosen so far. */
  public record Builder(String name, Aggregation aggregation, Filter filter) {
    /** What the feature computes. */
    public Builder aggregate(Aggregation aggregation) {
      return new Builder(name, aggregation, filter);
    }

    /** Only events matching the filter take part. */
    public Builder where(Filter filter) {
      return new Builder(name, aggregation, filter);
    }

    /**
     * The feature is the value of {@code column} in the entity's row of a table-sourced view;
     * completes the feature.
     */
    public Feature column(String column, FeatureType type) {
      if (name == null) {
        throw new DefinitionException(
            "a column feature needs a name: use Feature.named(\"...\").column(...)");
      }
      if (aggregation != null || filter != null) {
        throw new DefinitionException(
            "feature '" + name + "' is a column and cannot also aggregate or filter");
      }
      return new Feature(name, null, null, null, new TableColumn(column, type));
    }

    /** The window the aggregation runs over; completes the feature. */
    public Feature over(SlidingWindow window) {
      if (name == null) {
        return new Feature(generatedName(window), aggregation, filter, window);
      }
      return new Feature(name, aggregation, filter, window);
    }

    /** A lifetime window emitted every {@code slide}; completes the feature. */
    public Feature overLifetime(java.time.Duration slide) {
      return over(SlidingWindow.lifetime(slide));
    }

    /**
     * One feature per window, all sharing the aggregation and filter. Named {@code {name}_{window}}
     * (e.g. {@code revenue_1h}, {@code revenue_24h}), or {@code {input}_{op}_{window}} when started
     * with {@link Feature#of}.
     */
    public java.util.List<Feature> overEach(SlidingWindow... windows) {
      java.util.List<Feature> out = new java.util.ArrayList<>();
      for (SlidingWindow w : windows) {
        String n = name == null ? generatedName(w) : name + "_" + w.sizeName();
        out.add(new Feature(n, aggregation, filter, w));
      }
      return java.util.List.copyOf(out);
    }

    private String generatedName(SlidingWindow w) {
      if (aggregation == null) {
        throw new DefinitionException(
            "an unnamed feature needs an aggregation to be named after (use Feature.of(...))");
      }
      String input = aggregation.inputField() == null ? "event" : aggregation.inputField();
      String n =
          (input + "_" + aggregation.namePart() + "_" + w.sizeName())
              .toLowerCase(java.util.Locale.ROOT)
              .replaceAll("[^a-z0-9_]", "_");
      return Names.checkIdentifier("generated feature", n);
    }
  }
}
