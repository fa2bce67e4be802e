package io.freshet.bench;

import io.freshet.dsl.FeatureType;
import io.freshet.examples.UserActivity;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.training.FeatureSelection;
import io.freshet.training.LabelSource;
import io.freshet.training.TrainingSetBuilder;
import io.freshet.training.TrainingSetManifest;
import io.freshet.training.TrainingSetOutput;
import io.freshet.training.TrainingSetRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training sets: Freshet's training-set builder against Feast's Postgres point-in-time join ({@link
 * FeastPointInTime}) over the same {@code user_activity} offline table and the same labels.
 *
 * <p>Freshet runs as {@code freshet training-set} runs it: {@link TrainingSetBuilder#open} over the
 * view's catalog, labels from a CSV file, output to a CSV file (every value rendered, checksummed
 * with SHA-256, renamed into place, manifest recorded), default connections and as-of time. The
 * time is that of the whole {@code build} call. Feast's side is timed from the label upload to the
 * last row fetched. Both outputs are reduced to one 64-bit hash per label row over its feature
 * values (integers and floats compared as numbers); they must be equal for every label, or the
 * benchmark fails naming the first label that differs and both rows.
 */
final class TrainingBench {
  private TrainingBench() {}

  /** Sizes and where to run. */
  record Params(
      String adminUrl,
      String database,
      long rows,
      int users,
      int labels,
      int reps,
      long seed,
      int historyDays,
      String feastWorkMem,
      boolean warmUp) {

    static Params from(Map<String, String> a, int reps) {
      return new Params(
          a.getOrDefault("training-pg", "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres"),
          a.getOrDefault("training-database", "freshet_bench_training"),
          Long.parseLong(a.getOrDefault("training-rows", "10000000")),
          Integer.parseInt(a.getOrDefault("training-users", "100000")),
          Integer.parseInt(a.getOrDefault("training-labels", "1000000")),
          reps,
          42,
          Integer.parseInt(a.getOrDefault("training-days", "28")),
          a.get("training-feast-work-mem"),
          true);
    }
  }

  static final Catalog CATALOG = Catalog.of(List.of(UserActivity.view()));

  static Map<String, Object> run(Params p) throws Exception {
    ViewPlan plan = CATALOG.plan("user_activity");
    Duration delay = plan.availabilityDelay();
    Duration ttl = plan.ttl();
    long delayMicros = ceilMicros(delay);
    long ttlMicros = ceilMicros(ttl);
    for (FeaturePart part : plan.parts()) {
      if (part.type() == FeatureType.STRING_LIST) {
        throw new IllegalStateException("the comparison does not handle list features: " + part);
      }
    }
    BenchDatabases.createDatabase(p.adminUrl(), p.database());
    String url = BenchDatabases.databaseUrl(p.adminUrl(), p.database());
    TrainingData.Shape shape =
        new TrainingData.Shape(p.rows(), p.users(), p.seed(), p.historyDays());
    boolean generated = TrainingData.ensureTable(url, plan, shape);
    TrainingData.Labels labels = TrainingData.labels(plan, shape, p.labels(), p.seed(), delay, ttl);

    Map<String, Object> res = new LinkedHashMap<>();
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("view", plan.name() + " (version " + plan.versionTag() + ")");
    params.put("offlineRows", p.rows());
    params.put("currentRows", count(url, plan, "superseded_at IS NULL"));
    params.put("users", p.users());
    params.put("labels", p.labels());
    params.put("historyDays", p.historyDays());
    params.put("ttl", ttl.toString());
    params.put("availabilityDelay", delay.toString());
    params.put("seed", p.seed());
    params.put("repetitions", p.reps());
    params.put("tableGeneratedThisRun", generated);
    params.put(
        "tableBytes",
        scalar(
            url, "SELECT pg_total_relation_size('" + OfflineTable.of(plan).qualifiedName() + "')"));
    params.put(
        "freshet",
        "TrainingSetBuilder.open(catalog, url).build(labels CSV -> CSV file in a temp directory),"
            + " default connections ("
            + Math.min(4, Runtime.getRuntime().availableProcessors())
            + ") and as-of time; time of the whole build call (labels read, join, CSV written and"
            + " SHA-256'd, manifest recorded)");
    params.put(
        "feast",
        "labels uploaded as a table (COPY), Feast's MULTIPLE_FEATURE_VIEW_POINT_IN_TIME_JOIN shape"
            + " on current rows, one connection, all rows fetched (fetch size 10000) and hashed;"
            + " work_mem "
            + (p.feastWorkMem() == null ? "server default" : p.feastWorkMem()));
    res.put("parameters", params);
    res.put("postgres", postgres(url));

    Path dir = Files.createTempDirectory("freshet-training-bench");
    try {
      Path labelCsv = dir.resolve("labels.csv");
      TrainingData.writeCsv(labels, labelCsv);
      List<String> features = plan.parts().stream().map(FeaturePart::name).toList();
      List<FeatureType> types = plan.parts().stream().map(FeaturePart::type).toList();
      TrainingSetBuilder builder = TrainingSetBuilder.open(CATALOG, url);
      TrainingSetRequest request =
          TrainingSetRequest.of(
              LabelSource.csv(labelCsv),
              FeatureSelection.of(features.stream().map(f -> plan.name() + ":" + f).toList()),
              TrainingSetOutput.csv(dir.resolve("train.csv")));
      if (p.warmUp()) {
        long t = System.nanoTime();
        builder.build(request);
        System.out.printf(
            "training: Freshet warm-up build %.2f s%n", (System.nanoTime() - t) / 1e9);
      }
      res.put(
          "feastPlan",
          FeastPointInTime.explain(url, plan, labels, delayMicros, ttlMicros, p.feastWorkMem()));

      long[] reference = null;
      List<Double> freshetRates = new ArrayList<>();
      List<Double> feastRates = new ArrayList<>();
      List<Object> freshetRuns = new ArrayList<>();
      List<Object> feastRuns = new ArrayList<>();
      for (int r = 0; r < p.reps(); r++) {
        double load = Machine.load1();
        long t = System.nanoTime();
        TrainingSetManifest m = builder.build(request);
        double seconds = (System.nanoTime() - t) / 1e9;
        if (m.rowCount() != p.labels()) {
          throw new IllegalStateException(
              "Freshet wrote " + m.rowCount() + " rows for " + p.labels() + " labels");
        }
        long[] freshet = readFreshet(dir.resolve("train.csv"), features, types, p.labels());
        if (reference == null) {
          reference = freshet;
        } else {
          compare(reference, freshet, "Freshet rep 0", "Freshet rep " + r, dir, "");
        }
        double rate = p.labels() / seconds;
        freshetRates.add(rate);
        freshetRuns.add(Map.of("seconds", seconds, "labelRowsPerSecond", rate, "load1", load));
        System.out.printf(
            "training Freshet rep %d: %.0f label rows/s (%d labels in %.2f s, load %.2f)%n",
            r, rate, p.labels(), seconds, load);

        long[] feast = new long[p.labels()];
        boolean[] seen = new boolean[p.labels()];
        long[] duplicates = {0};
        long[] expected = reference;
        Object[] firstDiff = {null};
        load = Machine.load1();
        FeastPointInTime.Result fr =
            FeastPointInTime.run(
                url,
                plan,
                labels,
                delayMicros,
                ttlMicros,
                p.feastWorkMem(),
                (id, values) -> {
                  if (seen[id]) {
                    duplicates[0]++;
                  }
                  seen[id] = true;
                  feast[id] = hash(values, types);
                  if (feast[id] != expected[id] && firstDiff[0] == null) {
                    firstDiff[0] = id + ": " + String.join(", ", Arrays.asList(values));
                  }
                });
        if (fr.rows() != p.labels() || duplicates[0] > 0) {
          throw new IllegalStateException(
              "Feast-style join returned "
                  + fr.rows()
                  + " rows ("
                  + duplicates[0]
                  + " duplicate label ids) for "
                  + p.labels()
                  + " labels");
        }
        compare(
            reference,
            feast,
            "Freshet",
            "Feast-style join",
            dir,
            "Feast-style row (label id: " + String.join(", ", features) + "): " + firstDiff[0]);
        double feastRate = p.labels() / fr.seconds();
        feastRates.add(feastRate);
        feastRuns.add(
            Map.of(
                "seconds",
                fr.seconds(),
                "uploadSeconds",
                fr.uploadSeconds(),
                "labelRowsPerSecond",
                feastRate,
                "load1",
                load));
        System.out.printf(
            "training Feast-style rep %d: %.0f label rows/s (%.2f s, upload %.2f s, load %.2f)%n",
            r, feastRate, fr.seconds(), fr.uploadSeconds(), load);
      }
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("labelRowsPerSecond", Stats.summary(freshetRates));
      f.put("runs", freshetRuns);
      res.put("freshet", f);
      Map<String, Object> fe = new LinkedHashMap<>();
      fe.put("labelRowsPerSecond", Stats.summary(feastRates));
      fe.put("runs", feastRuns);
      res.put("feast", fe);
      res.put("ratioFreshetOverFeast", Stats.median(freshetRates) / Stats.median(feastRates));
      long withFeatures = 0;
      long nullHash = hash(new String[features.size()], types);
      for (long h : reference) {
        if (h != nullHash) {
          withFeatures++;
        }
      }
      Map<String, Object> agreement = new LinkedHashMap<>();
      agreement.put("identical", true);
      agreement.put("checksum", String.format("%016x", checksum(reference)));
      agreement.put("labelRowsWithFeatures", withFeatures);
      agreement.put("labelRowsAllNull", p.labels() - withFeatures);
      res.put("agreement", agreement);
      return res;
    } finally {
      Machine.deleteTree(dir);
    }
  }

  static long ceilMicros(Duration d) {
    return Math.floorDiv(d.toNanos() + 999, 1000);
  }

  /** Hash of each label row of a Freshet CSV output, by label id (the first column). */
  static long[] readFreshet(Path csv, List<String> features, List<FeatureType> types, int labels)
      throws IOException {
    long[] out = new long[labels];
    boolean[] seen = new boolean[labels];
    try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
      String[] header = parseCsv(r.readLine());
      int first = header.length - features.size();
      for (int i = 0; i < features.size(); i++) {
        if (!header[first + i].equals(features.get(i))) {
          throw new IllegalStateException(
              "unexpected training-set header " + Arrays.toString(header));
        }
      }
      String line;
      String[] values = new String[features.size()];
      while ((line = r.readLine()) != null) {
        String[] fields = parseCsv(line);
        int id = Integer.parseInt(fields[0]);
        if (seen[id]) {
          throw new IllegalStateException("Freshet wrote label " + id + " twice");
        }
        seen[id] = true;
        System.arraycopy(fields, first, values, 0, values.length);
        out[id] = hash(values, types);
      }
    }
    for (int i = 0; i < labels; i++) {
      if (!seen[i]) {
        throw new IllegalStateException("Freshet wrote no row for label " + i);
      }
    }
    return out;
  }

  /** One CSV record of the training-set format: unquoted empty is null, {@code ""} empty. */
  static String[] parseCsv(String line) {
    List<String> fields = new ArrayList<>();
    int i = 0;
    int n = line.length();
    while (true) {
      if (i < n && line.charAt(i) == '"') {
        StringBuilder sb = new StringBuilder();
        i++;
        while (true) {
          char c = line.charAt(i++);
          if (c == '"') {
            if (i < n && line.charAt(i) == '"') {
              sb.append('"');
              i++;
            } else {
              break;
            }
          } else {
            sb.append(c);
          }
        }
        fields.add(sb.toString());
      } else {
        int j = line.indexOf(',', i);
        int end = j < 0 ? n : j;
        fields.add(end == i ? null : line.substring(i, end));
        i = end;
      }
      if (i >= n) {
        break;
      }
      i++; // the comma
      if (i == n) {
        fields.add(null);
        break;
      }
    }
    return fields.toArray(new String[0]);
  }

  /** A 64-bit hash of one row's feature values, numbers compared by value. */
  static long hash(String[] values, List<FeatureType> types) {
    long h = 0x9E3779B97F4A7C15L;
    for (int i = 0; i < values.length; i++) {
      String v = values[i];
      long x;
      if (v == null) {
        x = 0x6A09E667F3BCC909L + i;
      } else {
        x =
            switch (types.get(i)) {
              case INT64 -> Long.parseLong(v) * 0x9E3779B97F4A7C15L + 1;
              case FLOAT64 -> Double.doubleToLongBits(Double.parseDouble(v) + 0.0) + 2;
              default -> {
                long s = 0xCBF29CE484222325L;
                for (int k = 0; k < v.length(); k++) {
                  s = (s ^ v.charAt(k)) * 0x100000001B3L;
                }
                yield s + 3;
              }
            };
      }
      h = mix(h * 31 + x);
    }
    return h;
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  static long checksum(long[] hashes) {
    long sum = 0;
    for (int i = 0; i < hashes.length; i++) {
      sum += mix(i * 0x9E3779B97F4A7C15L ^ hashes[i]);
    }
    return sum;
  }

  /** Fails with the first label whose rows differ, showing Freshet's row from its CSV output. */
  private static void compare(
      long[] expected, long[] actual, String a, String b, Path dir, String other)
      throws IOException {
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] != actual[i]) {
        String freshetRow = "(not found)";
        try (BufferedReader r =
            Files.newBufferedReader(dir.resolve("train.csv"), StandardCharsets.UTF_8)) {
          String header = r.readLine();
          String line;
          while ((line = r.readLine()) != null) {
            if (line.startsWith(i + ",")) {
              freshetRow = header + "\n" + line;
              break;
            }
          }
        }
        throw new IllegalStateException(
            "training sets differ: "
                + a
                + " and "
                + b
                + " disagree first at label "
                + i
                + "; Freshet's row:\n"
                + freshetRow
                + "\n"
                + other);
      }
    }
  }

  private static long count(String url, ViewPlan plan, String where) throws SQLException {
    return scalar(
        url, "SELECT count(*) FROM " + OfflineTable.of(plan).qualifiedName() + " WHERE " + where);
  }

  private static long scalar(String url, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Map<String, Object> postgres(String url) throws SQLException {
    Map<String, Object> m = new LinkedHashMap<>();
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT version()")) {
        rs.next();
        m.put("version", rs.getString(1));
      }
      for (String setting :
          List.of(
              "work_mem",
              "shared_buffers",
              "effective_cache_size",
              "max_parallel_workers_per_gather",
              "random_page_cost",
              "jit")) {
        try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
          rs.next();
          m.put(setting, rs.getString(1));
        }
      }
    }
    m.put("freshetReaderWorkMem", "64MB (SET LOCAL by the builder's reader)");
    return m;
  }
}
