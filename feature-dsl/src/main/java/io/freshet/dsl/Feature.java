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
public record Feature(String name, Aggregation aggregation, Filter filter, SlidingWindow window)
    implements Serializable {

  public Feature {
    Names.checkIdentifier("feature", name);
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

  /** The filter, if only some events take part. */
  public Optional<Filter> where() {
    return Optional.ofNullable(filter);
  }

  /** Starts a feature with the given name; finish it with {@link Builder#over}. */
  public static Builder named(String name) {
    return new Builder(Names.checkIdentifier("feature", name), null, null);
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

    /** The window the aggregation runs over; completes the feature. */
    public Feature over(SlidingWindow window) {
      return new Feature(name, aggregation, filter, window);
    }
  }
}
