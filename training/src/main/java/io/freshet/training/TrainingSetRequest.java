package io.freshet.training;

import java.time.Instant;
import java.util.Objects;

/**
 * What to build: labels, features, output, and how to read the labels' time. Immutable; start with
 * {@link #of} and refine with the {@code with*} methods.
 *
 * <pre>{@code
 * TrainingSetRequest.of(
 *         LabelSource.csv(Path.of("labels.csv")),
 *         FeatureSelection.of("user_activity:event_count_1h", "user_activity:revenue_1h"),
 *         TrainingSetOutput.csv(Path.of("train.csv")))
 *     .withTimestampColumn("label_ts");
 * }</pre>
 *
 * @param labels where the labels come from
 * @param features the features, in output column order
 * @param output where the set is written
 * @param timestampColumn the label column holding each row's time (ISO-8601 with offset, or epoch
 *     milliseconds)
 * @param asOf the commit time the offline tables are read as of, or null for the latest stable time
 *     when the build starts (see {@link TrainingSetBuilder})
 * @param fullFeatureNames whether every feature column is named {@code {view}__{feature}}; when
 *     false, only names that would collide are
 * @param semantics which values the set holds (see {@link TrainingSemantics}); default {@link
 *     TrainingSemantics#FINAL}
 */
public record TrainingSetRequest(
    LabelSource labels,
    FeatureSelection features,
    TrainingSetOutput output,
    String timestampColumn,
    Instant asOf,
    boolean fullFeatureNames,
    TrainingSemantics semantics) {

  /** The label column read as the label time unless told otherwise. */
  public static final String DEFAULT_TIMESTAMP_COLUMN = "event_timestamp";

  public TrainingSetRequest {
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(features, "features");
    Objects.requireNonNull(output, "output");
    Objects.requireNonNull(semantics, "semantics");
    if (timestampColumn == null || timestampColumn.isEmpty()) {
      throw new IllegalArgumentException(
          "timestamp column must be named (default " + DEFAULT_TIMESTAMP_COLUMN + ")");
    }
  }

  /**
   * A request with the timestamp column {@value #DEFAULT_TIMESTAMP_COLUMN}, read as of the latest
   * stable time, with short feature names and final values.
   */
  public static TrainingSetRequest of(
      LabelSource labels, FeatureSelection features, TrainingSetOutput output) {
    return new TrainingSetRequest(
        labels, features, output, DEFAULT_TIMESTAMP_COLUMN, null, false, TrainingSemantics.FINAL);
  }

  public TrainingSetRequest withTimestampColumn(String column) {
    return new TrainingSetRequest(
        labels, features, output, column, asOf, fullFeatureNames, semantics);
  }

  /**
   * Which values the set holds (see {@link TrainingSemantics}). {@link TrainingSemantics#AS_SERVED}
   * needs every view to be served at request time.
   */
  public TrainingSetRequest withSemantics(TrainingSemantics semantics) {
    return new TrainingSetRequest(
        labels, features, output, timestampColumn, asOf, fullFeatureNames, semantics);
  }

  /**
   * Reads the offline tables as they were at commit time {@code time} (truncated to the
   * microsecond, the precision of commit times). It must not be later than the latest stable time
   * (see {@link TrainingSetBuilder}).
   */
  public TrainingSetRequest withAsOf(Instant time) {
    return new TrainingSetRequest(
        labels,
        features,
        output,
        timestampColumn,
        Objects.requireNonNull(time),
        fullFeatureNames,
        semantics);
  }

  /** Names every feature column {@code {view}__{feature}}. */
  public TrainingSetRequest withFullFeatureNames() {
    return new TrainingSetRequest(labels, features, output, timestampColumn, asOf, true, semantics);
  }
}
