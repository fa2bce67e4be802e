package io.freshet.dsl;

import java.time.Duration;
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
 * <p>All features of a view share one slide, so they fire together. Immutable and thread-safe.
 */
public record FeatureView(
    String name,
    KafkaJsonSource source,
    List<Feature> features,
    Duration ttl,
    Duration availabilityDelay)
    implements java.io.Serializable {

  public FeatureView {
    Names.checkIdentifier("feature view", name);
    Objects.requireNonNull(source, "source");
    if (source.keyFields().isEmpty()) {
      throw new DefinitionException(
          "feature view '"
              + name
              + "': source '"
              + source.topic()
              + "' has no entity key (call keyedBy(\"user_id\") on the source)");
    }
    features = List.copyOf(Objects.requireNonNull(features, "features"));
    if (features.isEmpty()) {
      throw new DefinitionException(
          "feature view '" + name + "' has no features (add at least one with feature(...))");
    }
    Set<String> seen = new HashSet<>();
    Duration slide = features.get(0).window().slide();
    for (Feature f : features) {
      if (!seen.add(f.name())) {
        throw new DefinitionException(
            "feature view '" + name + "' declares feature '" + f.name() + "' twice (rename one)");
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
    Durations.checkPositive("TTL of feature view '" + name + "'", ttl);
    Durations.checkNonNegative(
        "availability delay of feature view '" + name + "'", availabilityDelay);
  }

  /** Starts a view over the source; TTL defaults to its longest window, delay to the watermark. */
  public static Builder named(String name) {
    return new Builder(Names.checkIdentifier("feature view", name), null, List.of(), null, null);
  }

  /** The slide shared by every feature of the view. */
  public Duration slide() {
    return features.get(0).window().slide();
  }

  /** A feature by name. */
  public Feature feature(String featureName) {
    return features.stream()
        .filter(f -> f.name().equals(featureName))
        .findFirst()
        .orElseThrow(
            () ->
                new DefinitionException(
                    "feature view '" + name + "' has no feature '" + featureName + "'"));
  }

  /** A step of the view builder. */
  public record Builder(
      String name,
      KafkaJsonSource source,
      List<Feature> features,
      Duration ttl,
      Duration availabilityDelay) {

    public Builder source(KafkaJsonSource source) {
      return new Builder(name, source, features, ttl, availabilityDelay);
    }

    public Builder feature(Feature feature) {
      List<Feature> next = new java.util.ArrayList<>(features);
      next.add(feature);
      return new Builder(name, source, List.copyOf(next), ttl, availabilityDelay);
    }

    /** How long an online value may be served after its {@code feature_ts}. */
    public Builder ttl(Duration ttl) {
      return new Builder(name, source, features, ttl, availabilityDelay);
    }

    /** How long after {@code feature_ts} a value is assumed servable (see the class comment). */
    public Builder availabilityDelay(Duration delay) {
      return new Builder(name, source, features, ttl, delay);
    }

    public FeatureView build() {
      if (source == null) {
        throw new DefinitionException(
            "feature view '" + name + "' has no source (call source(KafkaJsonSource.topic(...)))");
      }
      Duration effectiveTtl = ttl;
      if (effectiveTtl == null) {
        effectiveTtl =
            features.stream()
                .map(f -> f.window().size())
                .max(Duration::compareTo)
                .orElse(Duration.ofDays(1))
                .multipliedBy(2);
      }
      Duration delay = availabilityDelay == null ? source.maxOutOfOrderness() : availabilityDelay;
      return new FeatureView(name, source, features, effectiveTtl, delay);
    }
  }
}
