package io.freshet.training;

import io.freshet.dsl.FeatureService.FeatureRef;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Everything a build or rebuild has settled before it reads a feature row: from a request ({@link
 * RequestResolution}) or from a recorded manifest ({@link RebuildCheck}).
 *
 * @param expected what a rebuild must reproduce, or null for a new build
 */
record Work(
    UUID id,
    Instant createdAt,
    LabelSource labelSource,
    String timestampColumn,
    String service,
    List<FeatureRef> refs,
    List<String> names,
    boolean fullNames,
    List<ViewUse> views,
    Labels labels,
    Long asOfMicros,
    TrainingSetOutput output,
    TrainingSemantics semantics,
    Expected expected) {

  /** What a rebuild must reproduce; {@code inPlace} when it replaces the recorded output. */
  record Expected(TrainingSetManifest manifest, boolean inPlace) {}
}
