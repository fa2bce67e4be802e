package io.freshet.training;

import io.freshet.dsl.FeatureService.FeatureRef;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.OutputTables;
import io.freshet.offline.ServedRows;
import io.freshet.offline.TileHistory;
import io.freshet.offline.TrainingSession;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.OnDemandPlan;
import io.freshet.storage.EntityKey;
import io.freshet.training.TrainingSetManifest.ViewVersion;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Builds point-in-time-correct training sets from a label table and the offline tables, records a
 * manifest for each, and rebuilds a recorded set identically later.
 *
 * <pre>{@code
 * TrainingSetBuilder builder = TrainingSetBuilder.open(Catalog.load(loader), jdbcUrl);
 * TrainingSetManifest m = builder.build(TrainingSetRequest.of(
 *     LabelSource.csv(Path.of("labels.csv")),
 *     FeatureSelection.service("conversion_model"),
 *     TrainingSetOutput.csv(Path.of("train.csv"))));
 * // months later, after late events rewrote windows:
 * builder.rebuild(m.id());   // the same bytes, or an error saying what changed
 * }</pre>
 *
 * <h2>What a row holds</h2>
 *
 * One output row per label row, in label order: the label's columns unchanged, in their order, then
 * one column per feature, named {@code {feature}}, or {@code {view}__{feature}} when asked for or
 * when two features (or a feature and a label column) would share a name. For each label row at
 * time {@code L} and each view, the values come from the offline row, as of the build's commit
 * time, with the greatest {@code feature_ts} {@code F} such that {@code F + availability_delay <=
 * L}; they are null when there is none, or when that row has expired: {@code L >= F + ttl}, the
 * instant at which the online table drops it too. Nothing committed after the as-of time, and no
 * value knowable only after {@code L}, can reach the row.
 *
 * <p>Worked example, {@code user_activity} (1 h windows sliding every 15 min, delay 10 min, TTL 2
 * h): the window {@code [11:00, 12:00)} has {@code feature_ts} 12:00. A label at 12:09:59.999 does
 * not see it (it sees the 11:45 row); one at 12:10:00.000 does. If no later row exists, a label at
 * 13:59:59.999 still sees it and one at 14:00:00.000 gets nulls.
 *
 * <p>Views served at request time ({@code servedAtRequestTime()}) are read from their tile history
 * instead, and each label's value is made by the serving rule itself ({@code RequestTimeRule}), as
 * the request's {@link TrainingSemantics} says: {@link TrainingSemantics#FINAL} (the default)
 * merges the newest version of every tile at the tile boundary at or before {@code L}, cutting the
 * open tile; {@link TrainingSemantics#AS_SERVED} merges, at {@code L} itself, the versions the
 * online store had served by {@code L} (to the microsecond), which is what the gateway returned.
 * Labels before a view version was first served take final values, and the manifest counts them.
 * For window-end views, {@link TrainingSemantics#AS_SERVED} gives a label at {@code L} what the
 * online table held at {@code L}: among the rows with {@code visible_at <= L} (the instant, on the
 * online store's clock, from which it served each, recorded offline by the row sink), the one with
 * the greatest {@code feature_ts}, the latest visible on a tie; null when there is none or {@code L
 * >= feature_ts + ttl}, as the gateway answers at that instant. Labels before the view version was
 * first served take final values, and the manifest counts them.
 *
 * <p>The entity of a label row in a view is made of the label columns named as the view's source
 * key fields (joined as {@link EntityKey} does); a row with one of them empty has no entity there,
 * so that view's features are null. Label times are ISO-8601 instants with an offset or epoch
 * milliseconds; comparisons are exact to the microsecond.
 *
 * <p>For a feature service with on-demand features, each label row's on-demand values follow the
 * stored features, one column each (named the feature, or {@code {service}__{feature}} with full
 * names), evaluated by the gateway's evaluator ({@link OnDemandPlan}): request fields from the
 * label columns of their names (an empty cell is null), stored inputs from the row's point-in-time
 * values, the request instant the label time (in milliseconds, rounded down). A CSV cell holds
 * exactly the text of the gateway's JSON value.
 *
 * <h2>Formats</h2>
 *
 * CSV, UTF-8: a header line, records ending in LF, fields quoted only when they contain a comma,
 * quote, CR or LF or are empty; an unquoted empty field is null, {@code ""} the empty string.
 * Feature values: INT64 as digits, FLOAT64 as Postgres' shortest round-trip text ({@code 0.1},
 * {@code 1e+20}, {@code NaN}), STRING as text, STRING_LIST as a JSON array. A Postgres output is a
 * new table with the label columns' types (text for a CSV label file) and the features' Postgres
 * types. A Parquet file holds the same values typed: label columns as strings except the label
 * time, a UTC timestamp in microseconds; INT64, FLOAT64 (DOUBLE), STRING and STRING_LIST (a LIST of
 * strings) features; nulls as nulls (see {@link TrainingSetOutput#parquet}). A set's checksum is
 * always that of its CSV form, whatever it was written to, so a table or Parquet file rebuilds and
 * verifies the same way.
 *
 * <h2>Reproducible</h2>
 *
 * The offline tables keep every version of a row with the commit interval over which it was
 * current, so a set is a function of (labels, views, as-of time): the manifest records those, the
 * checksum of the labels and of the output, and each view's TTL and delay (which the fingerprint
 * does not cover). The as-of time defaults to the latest time no writer can still commit behind
 * ({@link OfflineTable#stableAsOfQuery()}); a later one is refused, since rows could still appear
 * behind it.
 *
 * <h2>Failures</h2>
 *
 * Unknown views or features, labels without their key or timestamp columns, unparseable label
 * times, missing offline tables and unusable outputs are reported, naming the line, column or
 * table, before any feature row is read. Outputs appear only when complete (see {@link
 * TrainingSetOutput}).
 *
 * <p>Thread-safe: each call uses connections of its own.
 */
public final class TrainingSetBuilder {
  /**
   * The version of the CSV rendering that output checksums cover; bumped by any change to the
   * format that changes bytes.
   */
  public static final int FORMAT_VERSION = 1;

  /**
   * A view is split across connections only into slices of at least this many entities: fewer do
   * not repay a connection, a temporary table and a query.
   */
  private static final int MIN_ENTITIES_PER_SLICE = 2048;

  private final Catalog catalog;
  private final String jdbcUrl;
  private final int parallelism;
  private final int minEntitiesPerSlice;
  private final TrainingSetProgress progress;

  private TrainingSetBuilder(
      Catalog catalog,
      String jdbcUrl,
      int parallelism,
      int minEntitiesPerSlice,
      TrainingSetProgress progress) {
    this.catalog = catalog;
    this.jdbcUrl = jdbcUrl;
    this.parallelism = parallelism;
    this.minEntitiesPerSlice = minEntitiesPerSlice;
    this.progress = progress;
  }

  /**
   * A builder over the views of {@code catalog} and the offline tables of the database at {@code
   * jdbcUrl} (credentials as URL parameters), where it also keeps the manifests: their tables are
   * created or brought up to date here.
   *
   * @throws TrainingSetException if the database cannot be reached or migrated
   */
  public static TrainingSetBuilder open(Catalog catalog, String jdbcUrl) {
    Objects.requireNonNull(catalog, "catalog");
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    ManifestStore.migrate(jdbcUrl);
    return new TrainingSetBuilder(
        catalog,
        jdbcUrl,
        Math.min(4, Runtime.getRuntime().availableProcessors()),
        MIN_ENTITIES_PER_SLICE,
        new TrainingSetProgress());
  }

  /**
   * A builder reading with up to {@code connections} connections at once (default: 4, or fewer
   * cores). The output does not depend on it.
   */
  public TrainingSetBuilder withParallelism(int connections) {
    if (connections < 1) {
      throw new IllegalArgumentException(
          "parallelism must be at least 1 connection, got " + connections);
    }
    return new TrainingSetBuilder(catalog, jdbcUrl, connections, minEntitiesPerSlice, progress);
  }

  /**
   * A builder that counts its work in {@code progress} as it goes, for a caller to poll from
   * another thread (a command's progress bar). Use one progress per build.
   */
  public TrainingSetBuilder withProgress(TrainingSetProgress progress) {
    return new TrainingSetBuilder(
        catalog,
        jdbcUrl,
        parallelism,
        minEntitiesPerSlice,
        Objects.requireNonNull(progress, "progress"));
  }

  /** Lets tests split small label sets across connections. */
  TrainingSetBuilder withMinEntitiesPerSlice(int entities) {
    return new TrainingSetBuilder(catalog, jdbcUrl, parallelism, entities, progress);
  }

  /**
   * Builds a training set and records its manifest.
   *
   * @return the manifest, as stored
   * @throws TrainingSetException on bad input (nothing is read or written then) or failure
   */
  public TrainingSetManifest build(TrainingSetRequest request) {
    return execute(new RequestResolution(catalog, jdbcUrl, progress).resolve(request));
  }

  /**
   * Rebuilds a recorded training set in place: at its recorded output, replaced only once the new
   * bytes are verified to equal the recorded checksum.
   *
   * @return the recorded manifest, which the output now matches
   * @throws TrainingSetException if there is no such set, the labels or a view's definition changed
   *     since, or the rebuilt output differs (the old output is then left as it was)
   */
  public TrainingSetManifest rebuild(UUID id) {
    return rebuildInto(id, null);
  }

  /**
   * Rebuilds a recorded training set into {@code output} (a new table, or a file that is replaced),
   * verifying it against the recorded checksum before it appears.
   *
   * @return the recorded manifest
   * @throws TrainingSetException as {@link #rebuild(UUID)}
   */
  public TrainingSetManifest rebuild(UUID id, TrainingSetOutput output) {
    return rebuildInto(id, Objects.requireNonNull(output, "output"));
  }

  /** Rebuilds into {@code output}, or in place when it is null or the recorded output. */
  private TrainingSetManifest rebuildInto(UUID id, TrainingSetOutput output) {
    TrainingSetManifest m =
        manifest(id)
            .orElseThrow(() -> new TrainingSetException("there is no training set with id " + id));
    return execute(
        new RebuildCheck(catalog, new RequestResolution(catalog, jdbcUrl, progress))
            .check(m, output));
  }

  /** The manifest of a training set, if there is one with this id. */
  public Optional<TrainingSetManifest> manifest(UUID id) {
    try (TrainingSession s = TrainingSession.open(jdbcUrl)) {
      return ManifestStore.load(s, id);
    } catch (OfflineStoreException e) {
      throw new TrainingSetException(
          "could not read the manifest of training set " + id + ": " + e.getMessage(), e);
    }
  }

  // ---- the work

  private TrainingSetManifest execute(Work w) {
    OnDemandPlan onDemand = w.service() == null ? null : catalog.onDemand(w.service());
    if (onDemand != null && onDemand.isEmpty()) {
      onDemand = null;
    }
    Object[][] requestValues = onDemand == null ? null : OnDemandColumns.requestValues(onDemand, w);
    long asOf;
    long[] firstServed = new long[w.views().size()];
    try (TrainingSession s = TrainingSession.open(jdbcUrl)) {
      asOf = checkDatabase(s, w);
      for (int v = 0; v < firstServed.length; v++) {
        ViewUse view = w.views().get(v);
        if (view.plan().requestTime()) {
          firstServed[v] =
              TileHistory.firstServedMicros(s, view.tileTable(), LabelTime.fromMicros(asOf))
                  .orElse(Long.MAX_VALUE);
        } else if (w.semantics() == TrainingSemantics.AS_SERVED) {
          firstServed[v] =
              ServedRows.firstServedMicros(s, view.table(), LabelTime.fromMicros(asOf))
                  .orElse(Long.MAX_VALUE);
        } else {
          firstServed[v] = Long.MAX_VALUE;
        }
      }
    } catch (OfflineStoreException e) {
      throw new TrainingSetException("could not check the database: " + e.getMessage(), e);
    }
    List<OutputWriter.Column> columns = new ArrayList<>();
    Map<String, Integer> viewIndex = new HashMap<>();
    List<List<FeaturePart>> parts = new ArrayList<>();
    for (ViewUse v : w.views()) {
      viewIndex.put(v.plan().name(), parts.size());
      parts.add(new ArrayList<>());
    }
    for (int i = 0; i < w.refs().size(); i++) {
      FeatureRef r = w.refs().get(i);
      int view = viewIndex.get(r.view());
      FeaturePart part = w.views().get(view).plan().part(r.feature());
      List<FeaturePart> viewParts = parts.get(view);
      if (!viewParts.contains(part)) {
        viewParts.add(part);
      }
      columns.add(
          new OutputWriter.Column(w.names().get(i), view, viewParts.indexOf(part), part.type()));
    }
    int[][] inputAt = null;
    if (onDemand != null) {
      inputAt = new int[onDemand.inputs().size()][];
      for (int i = 0; i < inputAt.length; i++) {
        FeatureRef r = onDemand.inputs().get(i);
        int view = viewIndex.get(r.view());
        FeaturePart part = w.views().get(view).plan().part(r.feature());
        List<FeaturePart> viewParts = parts.get(view);
        if (!viewParts.contains(part)) {
          viewParts.add(part);
        }
        inputAt[i] = new int[] {view, viewParts.indexOf(part)};
      }
    }
    long[] beforeFirstServed = new long[w.views().size()];
    progress.joining(w.labels().size(), w.views().size());
    String[][][] picked =
        new JoinPlan(jdbcUrl, parallelism, minEntitiesPerSlice, progress)
            .join(w, parts, asOf, firstServed, beforeFirstServed);
    if (onDemand != null) {
      picked =
          OnDemandColumns.append(
              onDemand, w, requestValues, inputAt, picked, columns, w.labels().columns);
    }
    List<ViewVersion> versions = new ArrayList<>();
    for (int i = 0; i < w.views().size(); i++) {
      ViewUse v = w.views().get(i);
      versions.add(
          new ViewVersion(
              v.plan().name(),
              v.plan().versionTag(),
              v.plan().fingerprint(),
              v.keyColumns(),
              v.ttl(),
              v.delay(),
              firstServed[i] == Long.MAX_VALUE ? null : LabelTime.fromMicros(firstServed[i]),
              beforeFirstServed[i]));
    }
    TrainingSetManifest draft =
        new TrainingSetManifest(
            w.id(),
            w.createdAt(),
            LabelTime.fromMicros(asOf),
            w.labelSource(),
            w.labels().sha256,
            w.timestampColumn(),
            w.service(),
            w.refs(),
            w.names(),
            w.fullNames(),
            versions,
            w.output(),
            null,
            w.labels().size(),
            FORMAT_VERSION,
            w.semantics());
    OutputWriter writer = new OutputWriter(jdbcUrl, w.labels(), columns, picked, progress);
    progress.writing();
    if (w.expected() == null) {
      TrainingSetManifest m = writer.write(draft, null, false);
      progress.written();
      return m;
    }
    writer.write(draft, w.expected().manifest().outputSha256(), w.expected().inPlace());
    progress.written();
    return w.expected().manifest();
  }

  /** Checks tables and output before any work; returns the as-of time in epoch µs. */
  private long checkDatabase(TrainingSession s, Work w) throws OfflineStoreException {
    List<String> missing = new ArrayList<>();
    for (ViewUse v : w.views()) {
      boolean exists = v.plan().requestTime() ? s.hasTable(v.tileTable()) : s.hasTable(v.table());
      if (!exists) {
        missing.add(v.tableName() + " (view " + v.plan().name() + ")");
      }
    }
    if (!missing.isEmpty()) {
      throw new TrainingSetException(
          "no offline table "
              + String.join(", ", missing)
              + ": nothing was ever written for "
              + (missing.size() == 1 ? "this view version" : "these view versions")
              + " (run the streaming job or a backfill for it first)");
    }
    if (w.output() instanceof TrainingSetOutput.PostgresTable t) {
      boolean replacing = w.expected() != null && w.expected().inPlace();
      if (!replacing && OutputTables.exists(s, t.name().schema(), t.name().table())) {
        throw new TrainingSetException(
            "output table " + t.name() + " already exists (drop it or name another table)");
      }
      if (!OutputTables.schemaExists(s, t.name().schema())) {
        throw new TrainingSetException(
            "output table "
                + t.name()
                + ": schema '"
                + t.name().schema()
                + "' does not exist (create it first)");
      }
    } else {
      w.output().localFile().ifPresent(OutputWriter::checkFileTarget);
    }
    long stable = LabelTime.toMicros(s.stableAsOf());
    if (w.asOfMicros() == null) {
      return stable;
    }
    if (w.asOfMicros() > stable) {
      throw new TrainingSetException(
          "as-of time "
              + LabelTime.fromMicros(w.asOfMicros())
              + " is later than "
              + LabelTime.fromMicros(stable)
              + ", the latest time no writer can still commit rows behind; a set read as of it"
              + " could not be rebuilt identically (choose an earlier time, or none)");
    }
    return w.asOfMicros();
  }
}
