package io.freshet.dsl;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A named set of features computed from one source and keyed by its entity.
 *
 * <p>The streaming job emits one row per entity and window end whenever the entity's values
 * changed, to the offline table (full history) and the online table (latest row). Online values
 * older than {@link #ttl()} are not served. {@link #availabilityDelay()} models when a value could
 * really be served: a training row at time {@code t} sees the row with the greatest {@code
 * feature_ts} such that {@code feature_ts + availabilityDelay <= t}.
 *
 * <p>All aggregated features of a view share one slide, so they fire together; their windows may
 * differ in size (1h, 24h, 7d). {@link #derived()} features are computed from the others when a
 * window fires. Immutable and thread-safe.
 *
 * <p>A view with a {@linkplain SlidingWindow#lifetime lifetime} feature and no explicit TTL never
 * expires: its TTL is {@link #NO_TTL}, a century, longer than any event-time span Freshet handles
 * yet small enough that adding it to any epoch instant, in milliseconds or microseconds, cannot
 * overflow (nor can it in nanoseconds as a duration), so every consumer of the TTL (online expiry,
 * point-in-time training joins) treats it as "never" without a special case. {@link #expires()}
 * tells it apart where it matters (descriptions, the JSON form, the operator's state cleanup).
 */
public record FeatureView(
    String name,
    ViewSource source,
    List<Feature> features,
    List<DerivedFeature> derived,
    Duration ttl,
    Duration availabilityDelay,
    Serving serving)
    implements Serializable {

  /** The TTL of a view that never expires: 36,500 days (about 100 years), see the class comment. */
  public static final Duration NO_TTL = Duration.ofDays(36_500);

  /** A view served at window ends. */
  public FeatureView(
      String name,
      ViewSource source,
      List<Feature> features,
      List<DerivedFeature> derived,
      Duration ttl,
      Duration availabilityDelay) {
    this(name, source, features, derived, ttl, availabilityDelay, Serving.windowEnds());
  }

  public FeatureView {
    Names.checkIdentifier("feature view", name);
    Objects.requireNonNull(source, "source");
    if (source.keyFields().isEmpty()) {
      throw new DefinitionException(
          "feature view '"
              + name
              + "': source '"
              + source.label()
              + "' has no entity key (call keyedBy(\"user_id\") on the source)");
    }
    features = List.copyOf(Objects.requireNonNull(features, "features"));
    derived = List.copyOf(derived == null ? List.of() : derived);
    if (features.isEmpty()) {
      throw new DefinitionException(
          "feature view '" + name + "' has no features (add at least one with feature(...))");
    }
    serving = serving == null ? Serving.windowEnds() : serving;
    if (source instanceof PostgresTableSource table) {
      TableViews.check(name, table, features, derived, serving);
    } else {
      checkWindowed(name, source, features, derived, serving);
    }
    Durations.checkPositive("TTL of feature view '" + name + "'", ttl);
    if (ttl.compareTo(NO_TTL) > 0) {
      throw new DefinitionException(
          "feature view '"
              + name
              + "': TTL "
              + Durations.format(ttl)
              + " is longer than 36500 days (leave the TTL unset for a view that never expires)");
    }
    if (source instanceof KafkaJsonSource kafka) {
      checkLifetimeTtl(name, kafka, features, ttl, features.get(0).window().slide());
    }
    Durations.checkNonNegative(
        "availability delay of feature view '" + name + "'", availabilityDelay);
  }

  private static void checkWindowed(
      String name,
      ViewSource source,
      List<Feature> features,
      List<DerivedFeature> derived,
      Serving serving) {
    for (Feature f : features) {
      if (f.isColumn()) {
        throw new DefinitionException(
            "feature view '"
                + name
                + "': feature '"
                + f.name()
                + "' is a table column, but the view reads Kafka topic '"
                + source.label()
                + "' (aggregate events with aggregate(...).over(...), or give the view a"
                + " PostgresTableSource)");
      }
    }
    Set<String> seen = new HashSet<>();
    Set<String> numeric = new HashSet<>();
    Duration slide = features.get(0).window().slide();
    for (Feature f : features) {
      if (!seen.add(f.name())) {
        throw new DefinitionException(
            "feature view '" + name + "' declares feature '" + f.name() + "' twice (rename one)");
      }
      FeatureType t = f.aggregation().resultType();
      if (t == FeatureType.INT64 || t == FeatureType.FLOAT64) {
        numeric.add(f.name());
      }
      if (!f.window().slide().equals(slide)) {
        throw new DefinitionException(
            "feature view '"
                + name
                + "': feature '"
                + f.name()
                + "' slides every "
                + Durations.format(f.window().slide())
                + " but '"
                + features.get(0).name()
                + "' slides every "
                + Durations.format(slide)
                + " (all features of a view share one slide; put the other in its own view)");
      }
    }
    for (DerivedFeature d : derived) {
      Set<String> refs = new java.util.TreeSet<>();
      d.expression().references(refs);
      for (String r : refs) {
        if (!numeric.contains(r)) {
          String why =
              seen.contains(r)
                  ? "is not numeric (derive only from counts, sums, averages and the like)"
                  : "is not a feature declared before it in this view";
          throw new DefinitionException(
              "feature view '"
                  + name
                  + "': derived feature '"
                  + d.name()
                  + "' refers to '"
                  + r
                  + "', which "
                  + why);
        }
      }
      if (!seen.add(d.name())) {
        throw new DefinitionException(
            "feature view '" + name + "' declares feature '" + d.name() + "' twice (rename one)");
      }
      numeric.add(d.name());
    }
    if (serving.requestTimeMode()) {
      for (Feature f : features) {
        if (f.window().isLifetime()) {
          throw new DefinitionException(
              "feature view '"
                  + name
                  + "': feature '"
                  + f.name()
                  + "' is a lifetime aggregation, which is not served at request time (serve the"
                  + " view at window ends, or put the lifetime feature in a view of its own)");
        }
      }
    }
    if (serving.tile() != null) {
      long tile = serving.tile().toMillis();
      if (slide.toMillis() % tile != 0) {
        throw new DefinitionException(
            "feature view '"
                + name
                + "': tile "
                + Durations.format(serving.tile())
                + " does not divide the slide "
                + Durations.format(slide)
                + " (choose a tile that divides the slide and every window size)");
      }
      for (Feature f : features) {
        if (f.window().size().toMillis() % tile != 0) {
          throw new DefinitionException(
              "feature view '"
                  + name
                  + "': tile "
                  + Durations.format(serving.tile())
                  + " does not divide the window "
                  + Durations.format(f.window().size())
                  + " of feature '"
                  + f.name()
                  + "' (choose a tile that divides the slide and every window size)");
        }
      }
    }
  }

  /**
   * Starts a view; TTL defaults to twice its longest window (no TTL with a lifetime feature), delay
   * to the watermark bound.
   */
  public static Builder named(String name) {
    return new Builder(
        Names.checkIdentifier("feature view", name),
        null,
        List.of(),
        List.of(),
        null,
        null,
        Serving.windowEnds());
  }

  /**
   * A view with lifetime features and a TTL clears a key's lifetime state once it saw no event for
   * the TTL; the TTL must outlast every finite window of the view, its allowed lateness and a
   * slide, so that nothing else still needs the events then.
   */
  private static void checkLifetimeTtl(
      String name, KafkaJsonSource source, List<Feature> features, Duration ttl, Duration slide) {
    if (ttl.equals(NO_TTL) || features.stream().noneMatch(f -> f.window().isLifetime())) {
      return;
    }
    Duration longest =
        features.stream()
            .filter(f -> !f.window().isLifetime())
            .map(f -> f.window().size())
            .max(Duration::compareTo)
            .orElse(slide);
    Duration least = longest.plus(source.allowedLateness()).plus(slide);
    if (ttl.compareTo(least) < 0) {
      throw new DefinitionException(
          "feature view '"
              + name
              + "': TTL "
              + Durations.format(ttl)
              + " is too short for its lifetime features, whose state is cleared once a key saw"
              + " no event for the TTL (use a TTL of at least "
              + Durations.format(least)
              + ": the longest window "
              + Durations.format(longest)
              + " plus the allowed lateness and a slide, or set no TTL)");
    }
  }

  /** Whether online values and lifetime state expire: false when the TTL is {@link #NO_TTL}. */
  public boolean expires() {
    return !ttl.equals(NO_TTL);
  }

  /** The slide shared by every aggregated feature of the view; zero for a table-sourced view. */
  public Duration slide() {
    return isTableSourced() ? Duration.ZERO : features.get(0).window().slide();
  }

  /** Whether the view's rows come from a Postgres table or query rather than Kafka events. */
  public boolean isTableSourced() {
    return source instanceof PostgresTableSource;
  }

  /** A step of the view builder. */
  public record Builder(
      String name,
      ViewSource source,
      List<Feature> features,
      List<DerivedFeature> derived,
      Duration ttl,
      Duration availabilityDelay,
      Serving serving) {

    /**
     * Where the view's data comes from: a {@link KafkaJsonSource} whose events the features
     * aggregate, or a {@link PostgresTableSource} whose columns they are (TTL then defaults to
     * {@link PostgresTableSource#DEFAULT_TTL}, as attributes do not expire, and the availability
     * delay to zero).
     */
    public Builder source(ViewSource source) {
      return new Builder(name, source, features, derived, ttl, availabilityDelay, serving);
    }

    public Builder feature(Feature feature) {
      return features(List.of(feature));
    }

    /** Adds several features, e.g. those of {@link Feature.Builder#overEach}. */
    public Builder features(List<Feature> more) {
      List<Feature> next = new ArrayList<>(features);
      next.addAll(more);
      return new Builder(name, source, List.copyOf(next), derived, ttl, availabilityDelay, serving);
    }

    /** Adds a feature computed from the others. */
    public Builder derived(DerivedFeature feature) {
      List<DerivedFeature> next = new ArrayList<>(derived);
      next.add(feature);
      return new Builder(
          name, source, features, List.copyOf(next), ttl, availabilityDelay, serving);
    }

    /** How long an online value may be served after its {@code feature_ts}. */
    public Builder ttl(Duration ttl) {
      return new Builder(name, source, features, derived, ttl, availabilityDelay, serving);
    }

    /** How long after {@code feature_ts} a value is assumed servable (see the class comment). */
    public Builder availabilityDelay(Duration delay) {
      return new Builder(name, source, features, derived, ttl, delay, serving);
    }

    /** Serves the view at request time (see {@link Serving}), with tiles as large as its slice. */
    public Builder servedAtRequestTime() {
      return new Builder(
          name, source, features, derived, ttl, availabilityDelay, Serving.requestTime());
    }

    /**
     * Serves the view at request time with tiles of {@code tile}, finer than the slide if wanted;
     * the tile must divide the slide and every window size.
     */
    public Builder servedAtRequestTime(Duration tile) {
      return new Builder(
          name, source, features, derived, ttl, availabilityDelay, Serving.requestTime(tile));
    }

    public FeatureView build() {
      if (source == null) {
        throw new DefinitionException(
            "feature view '"
                + name
                + "' has no source (call source(KafkaJsonSource.topic(...)) or"
                + " source(PostgresTableSource.table(...)))");
      }
      if (source instanceof PostgresTableSource) {
        return new FeatureView(
            name,
            source,
            features,
            derived,
            ttl == null ? PostgresTableSource.DEFAULT_TTL : ttl,
            availabilityDelay == null ? Duration.ZERO : availabilityDelay,
            serving);
      }
      KafkaJsonSource kafka = (KafkaJsonSource) source;
      Duration effectiveTtl = ttl;
      if (effectiveTtl == null
          && features.stream().anyMatch(f -> !f.isColumn() && f.window().isLifetime())) {
        effectiveTtl = NO_TTL;
      }
      if (effectiveTtl == null) {
        effectiveTtl =
            features.stream()
                .filter(f -> !f.isColumn())
                .map(f -> f.window().size())
                .max(Duration::compareTo)
                .orElse(Duration.ofDays(1))
                .multipliedBy(2);
      }
      Duration delay = availabilityDelay == null ? kafka.maxOutOfOrderness() : availabilityDelay;
      return new FeatureView(name, source, features, derived, effectiveTtl, delay, serving);
    }
  }
}
