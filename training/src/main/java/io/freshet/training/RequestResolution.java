package io.freshet.training;

import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureService.FeatureRef;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.TrainingSession;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.OnDemandPlan;
import io.freshet.plan.ViewPlan;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Turns a {@link TrainingSetRequest} into the {@link Work} of a new build: the features it names,
 * the views they come from, the labels and the output columns, each checked before any feature row
 * is read.
 */
final class RequestResolution {
  private final Catalog catalog;
  private final String jdbcUrl;
  private final TrainingSetProgress progress;

  RequestResolution(Catalog catalog, String jdbcUrl) {
    this(catalog, jdbcUrl, new TrainingSetProgress());
  }

  RequestResolution(Catalog catalog, String jdbcUrl, TrainingSetProgress progress) {
    this.catalog = catalog;
    this.jdbcUrl = jdbcUrl;
    this.progress = progress;
  }

  /**
   * The work of building {@code request}.
   *
   * @throws TrainingSetException on bad input
   */
  Work resolve(TrainingSetRequest request) {
    String service = null;
    List<FeatureRef> refs;
    if (request.features() instanceof FeatureSelection.Service s) {
      FeatureService svc = catalog.service(s.name());
      if (svc == null) {
        throw new TrainingSetException(
            "unknown feature service '"
                + s.name()
                + "' (known services: "
                + catalog.services().stream().map(FeatureService::name).toList()
                + ")");
      }
      service = svc.name();
      refs = svc.features();
    } else {
      refs = ((FeatureSelection.Refs) request.features()).refs();
    }
    checkKnown(refs);
    // The views of the features, then of the stored features on-demand features read.
    List<FeatureRef> read = new ArrayList<>(refs);
    OnDemandPlan onDemand = service == null ? null : catalog.onDemand(service);
    if (onDemand != null) {
      read.addAll(onDemand.inputs());
    }
    List<ViewUse> views = new ArrayList<>();
    Map<String, ViewUse> byName = new LinkedHashMap<>();
    for (FeatureRef r : read) {
      if (!byName.containsKey(r.view())) {
        ViewPlan plan = catalog.plan(r.view());
        ViewUse use =
            new ViewUse(
                plan,
                plan.source().keyFields(),
                Duration.of(LabelTime.ceilMicros(plan.ttl()), ChronoUnit.MICROS),
                Duration.of(LabelTime.ceilMicros(plan.availabilityDelay()), ChronoUnit.MICROS));
        byName.put(r.view(), use);
        views.add(use);
      }
    }
    Labels labels = readLabels(request.labels(), request.timestampColumn(), views);
    List<String> names = columnNames(refs, labels.columns, request.fullFeatureNames());
    if (request.output().localFile().isPresent()
        && request.labels() instanceof LabelSource.CsvFile in
        && request.output().localFile().get().equals(in.file())) {
      throw new TrainingSetException(
          "the output " + in.file() + " is the label file; write the training set elsewhere");
    }
    Instant requestedAsOf = request.asOf();
    return new Work(
        UUID.randomUUID(),
        Instant.now().truncatedTo(ChronoUnit.MICROS),
        request.labels(),
        request.timestampColumn(),
        service,
        refs,
        names,
        request.fullFeatureNames(),
        views,
        labels,
        requestedAsOf == null ? null : LabelTime.toMicros(requestedAsOf),
        request.output(),
        request.semantics(),
        null);
  }

  private void checkKnown(List<FeatureRef> refs) {
    List<String> problems = new ArrayList<>();
    for (FeatureRef r : refs) {
      ViewPlan plan = catalog.find(r.view());
      if (plan == null) {
        problems.add(
            "unknown feature view '"
                + r.view()
                + "' in "
                + r
                + " (known views: "
                + catalog.plans().stream().map(ViewPlan::name).toList()
                + ")");
      } else if (plan.parts().stream().noneMatch(p -> p.name().equals(r.feature()))) {
        problems.add(
            "feature view '"
                + r.view()
                + "' has no feature '"
                + r.feature()
                + "' (its features: "
                + plan.parts().stream().map(FeaturePart::name).toList()
                + ")");
      }
    }
    if (!problems.isEmpty()) {
      throw new TrainingSetException(String.join("; ", problems));
    }
  }

  Labels readLabels(LabelSource source, String timestampColumn, List<ViewUse> views) {
    List<Labels.Required> required = new ArrayList<>();
    for (ViewUse v : views) {
      for (String k : v.keyColumns()) {
        required.add(new Labels.Required(k, "entity key of view " + v.plan().name()));
      }
    }
    if (source instanceof LabelSource.CsvFile f) {
      return Labels.readCsv(f.file(), timestampColumn, required, progress);
    }
    TableName table = ((LabelSource.PostgresTable) source).name();
    try (TrainingSession s = TrainingSession.open(jdbcUrl)) {
      s.beginReadOnly();
      Labels labels = Labels.readTable(s, table, timestampColumn, required, progress);
      s.commit();
      return labels;
    } catch (OfflineStoreException e) {
      throw new TrainingSetException(
          "could not read label table " + table + ": " + e.getMessage(), e);
    }
  }

  /** Output names of the features; full names where asked for or where short ones would clash. */
  static List<String> columnNames(
      List<FeatureRef> refs, List<String> labelColumns, boolean fullNames) {
    Map<String, Integer> shortUses = new HashMap<>();
    for (FeatureRef r : refs) {
      shortUses.merge(r.feature(), 1, Integer::sum);
    }
    List<String> names = new ArrayList<>();
    for (FeatureRef r : refs) {
      boolean clash = shortUses.get(r.feature()) > 1 || labelColumns.contains(r.feature());
      names.add(fullNames || clash ? r.view() + "__" + r.feature() : r.feature());
    }
    for (int i = 0; i < names.size(); i++) {
      if (labelColumns.contains(names.get(i))) {
        throw new TrainingSetException(
            "feature "
                + refs.get(i)
                + " would be written as column '"
                + names.get(i)
                + "', which the labels already have; rename that label column");
      }
    }
    return List.copyOf(names);
  }
}
