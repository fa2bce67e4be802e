package io.freshet.dsl;

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
 * <p>The name becomes the offline column and the online field. Immutable and thread-safe.
 */
public record Feature(
    String name, Aggregation aggregation, Optional<Filter> filter, SlidingWindow window) {

  public Feature {
    Names.checkIdentifier("feature", name);
    if (aggregation == null) {
      throw new DefinitionException(
          "feature '"
              + name
              + "' has no aggregation: call aggregate(Aggregation.count()) or similar");
    }
    filter = filter == null ? Optional.empty() : filter;
    if (window == null) {
      throw new DefinitionException(
          "feature '" + name + "' has no window: call over(SlidingWindow.of(size, slide))");
    }
  }

  /** Starts a feature with the given name; finish it with {@link Builder#over}. */
  public static Builder named(String name) {
    return new Builder(Names.checkIdentifier("feature", name), null, Optional.empty());
  }

  /** A step of the feature builder: the aggregation and filter chosen so far. */
  public record Builder(String name, Aggregation aggregation, Optional<Filter> filter) {
    /** What the feature computes. */
    public Builder aggregate(Aggregation aggregation) {
      return new Builder(name, aggregation, filter);
    }

    /** Only events matching the filter take part. */
    public Builder where(Filter filter) {
      return new Builder(name, aggregation, Optional.of(filter));
    }

    /** The window the aggregation runs over; completes the feature. */
    public Feature over(SlidingWindow window) {
      return new Feature(name, aggregation, filter, window);
    }
  }
}
