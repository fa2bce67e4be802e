package io.freshet.training;

import io.freshet.dsl.FeatureService.FeatureRef;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * What a training set was built from and what it holds: enough to rebuild it identically. Stored in
 * {@code freshet.training_sets} and {@code freshet.training_set_views}.
 *
 * @param id the training set's id
 * @param createdAt when it was built
 * @param asOf the commit time the offline tables were read as of (microsecond precision)
 * @param labels the label source
 * @param labelSha256 hex SHA-256 of the labels (see {@link LabelSource})
 * @param timestampColumn the label column read as the label time
 * @param featureService the feature service the features came from, or null
 * @param features the features, in output column order
 * @param featureColumns the output column of each feature, same order
 * @param fullFeatureNames whether full names were asked for
 * @param views every view read, in order of first use
 * @param output where the set was written
 * @param outputSha256 hex SHA-256 of the set in CSV form: the CSV file's bytes, or for a table the
 *     bytes the same rows would have as a CSV file
 * @param rowCount the number of rows (equal to the number of labels)
 * @param formatVersion the version of the CSV rendering the checksum covers
 * @param semantics which values the set holds (see {@link TrainingSemantics})
 */
public record TrainingSetManifest(
    UUID id,
    Instant createdAt,
    Instant asOf,
    LabelSource labels,
    String labelSha256,
    String timestampColumn,
    String featureService,
    List<FeatureRef> features,
    List<String> featureColumns,
    boolean fullFeatureNames,
    List<ViewVersion> views,
    TrainingSetOutput output,
    String outputSha256,
    long rowCount,
    int formatVersion,
    TrainingSemantics semantics) {

  public TrainingSetManifest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(semantics, "semantics");
    features = List.copyOf(features);
    featureColumns = List.copyOf(featureColumns);
    views = List.copyOf(views);
  }

  /**
   * One view as a training set read it. TTL and availability delay are recorded because they change
   * which rows a label sees but not the view's fingerprint; a rebuild uses these values.
   *
   * @param view the view name
   * @param versionTag the version tag, part of the offline table's name
   * @param fingerprint the view's fingerprint (SHA-256 of its meaning)
   * @param keyColumns the label columns that make the entity key, in key order
   * @param ttl the view's TTL at build time
   * @param availabilityDelay the view's availability delay at build time
   * @param firstServedAt in an as-served set, the first instant the online store served one of the
   *     view's tiles (request-time) or rows (window-end), among the versions committed by the as-of
   *     time; for a request-time view in a final set too; null if it never did, and for a
   *     window-end view in a final set
   * @param labelsBeforeFirstServed in an as-served set, how many labels with an entity in this view
   *     lay before {@code firstServedAt} (all of them if never served) and so took final values; 0
   *     otherwise
   */
  public record ViewVersion(
      String view,
      String versionTag,
      String fingerprint,
      List<String> keyColumns,
      Duration ttl,
      Duration availabilityDelay,
      Instant firstServedAt,
      long labelsBeforeFirstServed) {
    public ViewVersion {
      keyColumns = List.copyOf(keyColumns);
    }

    /** A view version without serving history: a window-end view, or a final set's. */
    public ViewVersion(
        String view,
        String versionTag,
        String fingerprint,
        List<String> keyColumns,
        Duration ttl,
        Duration availabilityDelay) {
      this(view, versionTag, fingerprint, keyColumns, ttl, availabilityDelay, null, 0);
    }
  }
}
