package io.freshet.training;

import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureService.FeatureRef;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.OfflineTables;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.EntityKey;
import io.freshet.training.TrainingSetManifest.ViewVersion;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

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
 * <p>The entity of a label row in a view is made of the label columns named as the view's source
 * key fields (joined as {@link EntityKey} does); a row with one of them empty has no entity there,
 * so that view's features are null. Label times are ISO-8601 instants with an offset or epoch
 * milliseconds; comparisons are exact to the microsecond.
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

  private TrainingSetBuilder(
      Catalog catalog, String jdbcUrl, int parallelism, int minEntitiesPerSlice) {
    this.catalog = catalog;
    this.jdbcUrl = jdbcUrl;
    this.parallelism = parallelism;
    this.minEntitiesPerSlice = minEntitiesPerSlice;
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
        MIN_ENTITIES_PER_SLICE);
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
    return new TrainingSetBuilder(catalog, jdbcUrl, connections, minEntitiesPerSlice);
  }

  /** Lets tests split small label sets across connections. */
  TrainingSetBuilder withMinEntitiesPerSlice(int entities) {
    return new TrainingSetBuilder(catalog, jdbcUrl, parallelism, entities);
  }

  /**
   * Builds a training set and records its manifest.
   *
   * @return the manifest, as stored
   * @throws TrainingSetException on bad input (nothing is read or written then) or failure
   */
  public TrainingSetManifest build(TrainingSetRequest request) {
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
    List<ViewUse> views = new ArrayList<>();
    Map<String, ViewUse> byName = new LinkedHashMap<>();
    for (FeatureRef r : refs) {
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
    return execute(
        new Work(
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
            null));
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
    if (m.formatVersion() != FORMAT_VERSION) {
      throw new TrainingSetException(
          "training set "
              + id
              + " was written in format version "
              + m.formatVersion()
              + ", this builder writes version "
              + FORMAT_VERSION
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
      views.add(new ViewUse(plan, v.keyColumns(), v.ttl(), v.availabilityDelay()));
    }
    Labels labels = readLabels(m.labels(), m.timestampColumn(), views);
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
    return execute(
        new Work(
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
            new Expected(m, inPlace)));
  }

  /** The manifest of a training set, if there is one with this id. */
  public Optional<TrainingSetManifest> manifest(UUID id) {
    try (Connection c = Sessions.open(jdbcUrl)) {
      return ManifestStore.load(c, id);
    } catch (SQLException e) {
      throw new TrainingSetException(
          "could not read the manifest of training set " + id + ": " + e.getMessage(), e);
    }
  }

  // ---- the work

  /** A view as a build uses it: TTL and delay in whole microseconds. */
  record ViewUse(ViewPlan plan, List<String> keyColumns, Duration ttl, Duration delay) {
    OfflineTable table() {
      return OfflineTable.of(plan);
    }
  }

  /** What a rebuild must reproduce; {@code inPlace} when it replaces the recorded output. */
  private record Expected(TrainingSetManifest manifest, boolean inPlace) {}

  /** Everything a build or rebuild has settled before it reads a feature row. */
  private record Work(
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
      Expected expected) {}

  private TrainingSetManifest execute(Work w) {
    long asOf;
    try (Connection c = Sessions.open(jdbcUrl)) {
      asOf = checkDatabase(c, w);
    } catch (SQLException e) {
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
    String[][][] picked = join(w, parts, asOf);
    List<ViewVersion> versions = new ArrayList<>();
    for (ViewUse v : w.views()) {
      versions.add(
          new ViewVersion(
              v.plan().name(),
              v.plan().versionTag(),
              v.plan().fingerprint(),
              v.keyColumns(),
              v.ttl(),
              v.delay()));
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
            FORMAT_VERSION);
    OutputWriter writer = new OutputWriter(jdbcUrl, w.labels(), columns, picked);
    if (w.expected() == null) {
      return writer.write(draft, null, false);
    }
    writer.write(draft, w.expected().manifest().outputSha256(), w.expected().inPlace());
    return w.expected().manifest();
  }

  /** Checks tables and output before any work; returns the as-of time in epoch µs. */
  private long checkDatabase(Connection c, Work w) throws SQLException {
    List<String> missing = new ArrayList<>();
    for (ViewUse v : w.views()) {
      if (!OfflineTables.exists(c, v.table())) {
        missing.add(v.table().qualifiedName() + " (view " + v.plan().name() + ")");
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
      if (!replacing && exists(c, t.name().sql())) {
        throw new TrainingSetException(
            "output table " + t.name() + " already exists (drop it or name another table)");
      }
      try (PreparedStatement ps =
          c.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
        ps.setString(1, t.name().schema());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new TrainingSetException(
                "output table "
                    + t.name()
                    + ": schema '"
                    + t.name().schema()
                    + "' does not exist (create it first)");
          }
        }
      }
    } else {
      w.output().localFile().ifPresent(OutputWriter::checkFileTarget);
    }
    long stable;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(OfflineTable.stableAsOfQuery())) {
      rs.next();
      stable = LabelTime.toMicros(rs.getObject(1, OffsetDateTime.class).toInstant());
    }
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

  /** Whether the output table (outside the offline store) exists. */
  private static boolean exists(Connection c, String qualifiedName) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, qualifiedName);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /**
   * Joins every view: per view, the labels are grouped by entity (each group in time order), the
   * groups are cut, in bytewise key order, into slices of consecutive entities, and each slice is
   * read on its own connection, from its own part of the primary key.
   */
  private String[][][] join(Work w, List<List<FeaturePart>> parts, long asOf) {
    Labels labels = w.labels();
    int[] byTime = byTime(labels.timeMicros);
    String[][][] picked = new String[w.views().size()][][];
    ExecutorService pool = Executors.newFixedThreadPool(parallelism, new Threads());
    try {
      List<Future<?>> tasks = new ArrayList<>();
      List<String> what = new ArrayList<>();
      for (int v = 0; v < w.views().size(); v++) {
        ViewUse view = w.views().get(v);
        picked[v] = new String[labels.size()][];
        Map<String, AsOfJoin.Group> groups = groups(labels, view.keyColumns(), byTime);
        int slices = Math.max(1, Math.min(parallelism, groups.size() / minEntitiesPerSlice));
        List<String> keys = new ArrayList<>(groups.keySet());
        keys.sort(ViewReader::compareBytewise);
        List<Map<String, AsOfJoin.Group>> sliced = new ArrayList<>();
        List<ViewReader.Range> ranges = new ArrayList<>();
        for (int i = 0; i < slices; i++) {
          int from = (int) ((long) keys.size() * i / slices);
          int to = (int) ((long) keys.size() * (i + 1) / slices);
          Map<String, AsOfJoin.Group> slice = new HashMap<>(Math.max(16, (to - from) * 4 / 3 + 1));
          for (String k : keys.subList(from, to)) {
            slice.put(k, groups.get(k));
          }
          sliced.add(slice);
          ranges.add(from < to ? new ViewReader.Range(keys.get(from), keys.get(to - 1)) : null);
        }
        ViewReader.Job job =
            new ViewReader.Job(
                view.table(),
                parts.get(v),
                LabelTime.ceilMicros(view.delay()),
                LabelTime.ceilMicros(view.ttl()));
        String[][] out = picked[v];
        for (int i = 0; i < slices; i++) {
          Map<String, AsOfJoin.Group> slice = sliced.get(i);
          ViewReader.Range range = ranges.get(i);
          if (slice.isEmpty()) {
            continue;
          }
          tasks.add(
              pool.submit(
                  () -> {
                    ViewReader.read(jdbcUrl, job, asOf, range, slice, labels.timeMicros, out);
                    return null;
                  }));
          what.add("view " + view.plan().name() + " from " + view.table().qualifiedName());
        }
      }
      for (int i = 0; i < tasks.size(); i++) {
        try {
          tasks.get(i).get();
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          throw new TrainingSetException(
              "reading " + what.get(i) + " failed: " + cause.getMessage(), cause);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrainingSetException("interrupted while reading the offline tables", e);
    } finally {
      pool.shutdownNow();
    }
    return picked;
  }

  /** Label indices sorted by time, ties in label order (a stable merge sort). */
  static int[] byTime(long[] times) {
    int n = times.length;
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    int[] b = new int[n];
    for (int width = 1; width < n; width *= 2) {
      for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = Math.min(lo + width, n);
        int hi = Math.min(lo + 2 * width, n);
        int i = lo;
        int j = mid;
        int k = lo;
        while (i < mid && j < hi) {
          b[k++] = times[a[j]] < times[a[i]] ? a[j++] : a[i++];
        }
        while (i < mid) {
          b[k++] = a[i++];
        }
        while (j < hi) {
          b[k++] = a[j++];
        }
      }
      int[] t = a;
      a = b;
      b = t;
    }
    return a;
  }

  /**
   * The labels of each entity of a view, in time order; rows without a full key are left out.
   *
   * <p>One hash lookup per label, in label order (the rows as they lie in memory); the time-ordered
   * pass then only counts and places label indices by entity number.
   */
  private static Map<String, AsOfJoin.Group> groups(
      Labels labels, List<String> keyColumns, int[] byTime) {
    int[] keyIndex = keyColumns.stream().mapToInt(labels::column).toArray();
    int n = labels.size();
    int[] entityOf = new int[n];
    Map<String, Integer> numbers = new HashMap<>();
    List<String> keys = new ArrayList<>();
    String[] parts = new String[keyIndex.length];
    for (int label = 0; label < n; label++) {
      String[] row = labels.rows.get(label);
      boolean complete = true;
      for (int k = 0; k < keyIndex.length; k++) {
        parts[k] = row[keyIndex[k]];
        if (parts[k] == null || parts[k].isEmpty()) {
          complete = false;
          break;
        }
      }
      if (!complete) {
        entityOf[label] = -1;
        continue;
      }
      String key = EntityKey.of(Arrays.asList(parts));
      Integer number = numbers.putIfAbsent(key, keys.size());
      if (number == null) {
        number = keys.size();
        keys.add(key);
      }
      entityOf[label] = number;
    }
    int[] counts = new int[keys.size()];
    for (int label = 0; label < n; label++) {
      if (entityOf[label] >= 0) {
        counts[entityOf[label]]++;
      }
    }
    int[][] lists = new int[keys.size()][];
    for (int e = 0; e < lists.length; e++) {
      lists[e] = new int[counts[e]];
      counts[e] = 0;
    }
    for (int label : byTime) {
      int e = entityOf[label];
      if (e >= 0) {
        lists[e][counts[e]++] = label;
      }
    }
    Map<String, AsOfJoin.Group> groups = new HashMap<>(keys.size() * 2);
    for (int e = 0; e < lists.length; e++) {
      groups.put(keys.get(e), new AsOfJoin.Group(lists[e]));
    }
    return groups;
  }

  // ---- input checks

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

  private Labels readLabels(LabelSource source, String timestampColumn, List<ViewUse> views) {
    List<Labels.Required> required = new ArrayList<>();
    for (ViewUse v : views) {
      for (String k : v.keyColumns()) {
        required.add(new Labels.Required(k, "entity key of view " + v.plan().name()));
      }
    }
    if (source instanceof LabelSource.CsvFile f) {
      return Labels.readCsv(f.file(), timestampColumn, required);
    }
    TableName table = ((LabelSource.PostgresTable) source).name();
    try (Connection c = Sessions.open(jdbcUrl)) {
      c.setAutoCommit(false);
      c.setReadOnly(true);
      Labels labels = Labels.readTable(c, table, timestampColumn, required);
      c.commit();
      return labels;
    } catch (SQLException e) {
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

  /** Daemon threads: a pool left behind by a failure never keeps the JVM alive. */
  private static final class Threads implements ThreadFactory {
    private static final AtomicInteger COUNT = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "freshet-training-" + COUNT.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  }
}
