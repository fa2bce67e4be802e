package io.freshet.training;

import io.freshet.dsl.FeatureService.FeatureRef;
import io.freshet.offline.FreshetSchema;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.TrainingSession;
import io.freshet.offline.TrainingSetTables;
import io.freshet.offline.TrainingSetTables.SetRow;
import io.freshet.offline.TrainingSetTables.ViewRow;
import io.freshet.training.TrainingSetManifest.ViewVersion;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Manifests in Postgres: {@code freshet.training_sets} and {@code freshet.training_set_views}, made
 * by the migrations of schema {@code freshet} ({@link FreshetSchema}), written and read by {@link
 * TrainingSetTables}; here a manifest becomes their rows and back.
 */
final class ManifestStore {
  private ManifestStore() {}

  /** Brings the manifest tables up to date. */
  static void migrate(String jdbcUrl) {
    try {
      TrainingSession.migrate(jdbcUrl);
    } catch (OfflineStoreException | IllegalArgumentException e) {
      throw new TrainingSetException(
          "could not bring the training-set manifest tables up to date: " + e.getMessage(), e);
    }
  }

  static void insert(TrainingSession s, TrainingSetManifest m) throws OfflineStoreException {
    List<ViewRow> views = new ArrayList<>();
    for (ViewVersion v : m.views()) {
      views.add(
          new ViewRow(
              v.view(),
              v.versionTag(),
              v.fingerprint(),
              v.keyColumns(),
              LabelTime.ceilMicros(v.ttl()),
              LabelTime.ceilMicros(v.availabilityDelay()),
              v.firstServedAt(),
              v.labelsBeforeFirstServed()));
    }
    TrainingSetTables.insert(
        s,
        new SetRow(
            m.id(),
            m.createdAt(),
            m.asOf(),
            m.labels().describe(),
            m.labelSha256(),
            m.timestampColumn(),
            m.featureService(),
            m.features().stream().map(FeatureRef::toString).toList(),
            m.featureColumns(),
            m.fullFeatureNames(),
            m.output().describe(),
            m.outputSha256(),
            m.rowCount(),
            m.formatVersion(),
            m.semantics().label()),
        views);
  }

  static Optional<TrainingSetManifest> load(TrainingSession s, UUID id)
      throws OfflineStoreException {
    return TrainingSetTables.load(s, id).map(ManifestStore::manifest);
  }

  private static TrainingSetManifest manifest(TrainingSetTables.Recorded recorded) {
    List<ViewVersion> views = new ArrayList<>();
    for (ViewRow v : recorded.views()) {
      views.add(
          new ViewVersion(
              v.view(),
              v.versionTag(),
              v.fingerprint(),
              v.keyColumns(),
              Duration.of(v.ttlMicros(), ChronoUnit.MICROS),
              Duration.of(v.availabilityDelayMicros(), ChronoUnit.MICROS),
              v.firstServedAt(),
              v.labelsBeforeFirstServed()));
    }
    SetRow set = recorded.set();
    return new TrainingSetManifest(
        set.id(),
        set.createdAt(),
        set.asOf(),
        LabelSource.parse(set.labelSource()),
        set.labelSha256(),
        set.timestampColumn(),
        set.featureService(),
        set.features().stream().map(FeatureRef::parse).toList(),
        set.featureColumns(),
        set.fullFeatureNames(),
        views,
        TrainingSetOutput.parse(set.output()),
        set.outputSha256(),
        set.rowCount(),
        set.formatVersion(),
        TrainingSemantics.parse(set.semantics()));
  }
}
