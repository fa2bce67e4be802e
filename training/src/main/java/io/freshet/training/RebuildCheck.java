package io.freshet.training;

import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.freshet.training.TrainingSetManifest.ViewVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Checks that a recorded training set can be rebuilt identically (the same format version, the same
 * view versions, the same labels) and gives the {@link Work} that rebuilds it.
 */
final class RebuildCheck {
  private final Catalog catalog;
  private final RequestResolution resolution;

  RebuildCheck(Catalog catalog, RequestResolution resolution) {
    this.catalog = catalog;
    this.resolution = resolution;
  }

  /**
   * The work of rebuilding {@code m} into {@code output}, or in place when it is null or the
   * recorded output.
   *
   * @throws TrainingSetException if the format, a view's definition or the labels changed since
   */
  Work check(TrainingSetManifest m, TrainingSetOutput output) {
    UUID id = m.id();
    if (m.formatVersion() != TrainingSetBuilder.FORMAT_VERSION) {
      throw new TrainingSetException(
          "training set "
              + id
              + " was written in format version "
              + m.formatVersion()
              + ", this builder writes version "
              + TrainingSetBuilder.FORMAT_VERSION
              + "; rebuild it with the release that built it");
    }
    List<ViewUse> views = new ArrayList<>();
    for (ViewVersion v : m.views()) {
      ViewPlan plan = catalog.find(v.view());
      if (plan == null) {
        throw new TrainingSetException(
            "training set "
                + id
                + " reads view '"
                + v.view()
                + "' (version "
                + v.versionTag()
                + "), which these definitions do not hold (known views: "
                + catalog.plans().stream().map(ViewPlan::name).toList()
                + ")");
      }
      if (!plan.fingerprint().equals(v.fingerprint())) {
        throw new TrainingSetException(
            "training set "
                + id
                + " read view '"
                + v.view()
                + "' at version "
                + v.versionTag()
                + ", but these definitions hold version "
                + plan.versionTag()
                + "; rebuild with the definitions it was built from");
      }
      if (plan.requestTime() && !plan.ttl().equals(v.ttl())) {
        throw new TrainingSetException(
            "training set "
                + id
                + " read request-time view '"
                + v.view()
                + "' with TTL "
                + v.ttl()
                + ", but these definitions give it "
                + plan.ttl()
                + "; the serving rule takes the TTL from the definitions, so rebuild with the"
                + " definitions it was built from");
      }
      views.add(new ViewUse(plan, v.keyColumns(), v.ttl(), v.availabilityDelay()));
    }
    Labels labels = resolution.readLabels(m.labels(), m.timestampColumn(), views);
    if (!labels.sha256.equals(m.labelSha256())) {
      throw new TrainingSetException(
          "the labels of training set "
              + id
              + " changed since it was built: "
              + m.labels().describe()
              + " has SHA-256 "
              + labels.sha256
              + ", the manifest recorded "
              + m.labelSha256()
              + "; restore the original labels to rebuild it");
    }
    boolean inPlace = output == null || output.equals(m.output());
    TrainingSetOutput target = inPlace ? m.output() : output;
    return new Work(
        m.id(),
        m.createdAt(),
        m.labels(),
        m.timestampColumn(),
        m.featureService(),
        m.features(),
        m.featureColumns(),
        m.fullFeatureNames(),
        views,
        labels,
        LabelTime.toMicros(m.asOf()),
        target,
        m.semantics(),
        new Work.Expected(m, inPlace));
  }
}
