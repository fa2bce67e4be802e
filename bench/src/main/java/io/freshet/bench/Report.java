package io.freshet.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** Writes results.json, results.md (figures against the targets) and the charts. */
final class Report {
  private final Path dir;
  private final Map<String, Object> root = new LinkedHashMap<>();

  /** Starts from the results already in {@code dir}, so benchmarks can be run one at a time. */
  Report(Path dir) throws IOException {
    this.dir = dir;
    Path existing = dir.resolve("results.json");
    if (Files.exists(existing)) {
      root.putAll(BenchMain.json().readValue(existing.toFile(), Map.class));
    }
  }

  Object get(String k) {
    return root.get(k);
  }

  void put(String k, Object v) {
    root.put(k, v);
  }

  void write() throws IOException {
    BenchMain.json().writeValue(dir.resolve("results.json").toFile(), root);
    Files.writeString(dir.resolve("results.md"), markdown());
    charts();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> m(Object o) {
    return (Map<String, Object>) o;
  }

  static double d(Object o) {
    return ((Number) o).doubleValue();
  }

  private final List<String[]> rows = new ArrayList<>();

  private void row(String what, String target, String measured, String verdict) {
    rows.add(new String[] {what, target, measured, verdict});
  }

  static String atLeast(double got, double want) {
    return got >= want
        ? "pass (" + pct(got / want - 1) + " above)"
        : "miss (" + pct(1 - got / want) + " short)";
  }

  static String atMost(double got, double want) {
    return got <= want
        ? "pass (" + pct(1 - got / want) + " under)"
        : "miss (" + pct(got / want - 1) + " over)";
  }

  static String pct(double x) {
    return String.format("%.0f%%", 100 * x);
  }

  String markdown() {
    rows.clear();
    StringBuilder b = new StringBuilder("# Freshet benchmark results\n\n");
    b.append("Commands (run in this order, from the project root):\n\n");
    if (root.get("commands") instanceof List<?> cs) {
      for (Object c : cs) {
        b.append("    ").append(c).append('\n');
      }
    }
    b.append('\n');
    b.append("Machine: ").append(root.get("machine")).append("\n\n");
    if (root.containsKey("pipeline")) {
      Map<String, Object> p = m(root.get("pipeline"));
      b.append("Pipeline parameters: ").append(p.get("parameters")).append("\n\n");
      b.append("| window | variant | median events/s | min | max | spread | load avg (runs) |\n");
      b.append("|---|---|---:|---:|---:|---:|---|\n");
      for (var e : p.entrySet()) {
        if (e.getKey().equals("parameters")) {
          continue;
        }
        for (var v : m(e.getValue()).entrySet()) {
          if (!(v.getValue() instanceof Map)) {
            continue;
          }
          Map<String, Object> s = m(m(v.getValue()).get("eventsPerSecond"));
          List<?> runs = (List<?>) m(v.getValue()).get("runs");
          StringBuilder loads = new StringBuilder();
          for (Object r : runs) {
            double load = r instanceof PipelineBench.Run run ? run.load1() : d(m(r).get("load1"));
            loads.append(String.format("%.1f ", load));
          }
          b.append(
              String.format(
                  "| %s | %s | %.0f | %.0f | %.0f | %.0f%% | %s|%n",
                  e.getKey(),
                  v.getKey(),
                  d(s.get("median")),
                  d(s.get("min")),
                  d(s.get("max")),
                  d(s.get("spreadPercent")),
                  loads));
        }
      }
      b.append('\n');
      for (String w : List.of("1h/15min", "1h/1min")) {
        Map<String, Object> s = m(p.get(w));
        if (s == null) {
          continue;
        }
        double rb = d(s.get("ratioFreshetOverSql"));
        double rc = d(s.get("ratioFreshetOverDataStream"));
        boolean target = w.equals("1h/1min");
        row(
            "pipeline " + w + ": Freshet / Flink SQL HOP",
            target ? ">= 2x" : "(none)",
            String.format("%.2fx", rb),
            target ? atLeast(rb, 2) : "-");
        row(
            "pipeline " + w + ": Freshet / DataStream sliding",
            target ? ">= 10x" : "(none)",
            String.format("%.2fx", rc),
            target ? atLeast(rc, 10) : "-");
      }
    }
    if (root.containsKey("onlineMemory")) {
      Map<String, Object> o = m(root.get("onlineMemory"));
      double f = d(m(o.get("freshet")).get("bytesPerEntityMemoryUsage"));
      double fe = d(m(o.get("feast")).get("bytesPerEntityMemoryUsage"));
      row(
          "online memory, Freshet bytes/entity (MEMORY USAGE)",
          "<= 120",
          String.format("%.1f", f),
          atMost(f, 120));
      row(
          "online memory, Freshet / Feast layout",
          "<= 0.5",
          String.format("%.2f (Feast %.1f B)", f / fe, fe),
          atMost(f / fe, 0.5));
    }
    if (root.containsKey("gateway")) {
      Map<String, Object> g = m(root.get("gateway"));
      Map<String, Object> cases = m(g.get("fixedRate"));
      b.append("Gateway, open loop, latency from intended send time (ms):\n\n");
      b.append("| request | rate/s | achieved/s | p50 | p99 | p99.9 | max | errors | load avg |\n");
      b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (var c : cases.entrySet()) {
        for (var r : m(c.getValue()).entrySet()) {
          if (!(r.getValue() instanceof Map)) {
            continue;
          }
          Map<String, Object> x = m(r.getValue());
          b.append(
              String.format(
                  "| %s | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %s | %.1f |%n",
                  c.getKey(),
                  r.getKey(),
                  d(x.get("achievedRate")),
                  d(x.get("p50Millis")),
                  d(x.get("p99Millis")),
                  d(x.get("p999Millis")),
                  d(x.get("maxMillis")),
                  x.get("errors"),
                  d(x.get("load1"))));
        }
      }
      b.append("\nClosed-loop maximum requests/s, ").append(g.get("concurrency"));
      b.append(" in flight:");
      for (var e : m(g.get("closedLoopMaxRequestsPerSecond")).entrySet()) {
        b.append(String.format(" %s %.0f;", e.getKey(), d(e.getValue())));
      }
      b.append("\n\n");
      Map<String, Object> get1 = m(cases.get("GET 1 entity x user_activity"));
      Map<String, Object> post1 = m(cases.get("POST 1 entity x user_activity"));
      Map<String, Object> post100 = m(cases.get("POST 100 entities x user_activity"));
      double p99get = d(m(get1.get("2000")).get("p99Millis"));
      double p99post = d(m(post1.get("2000")).get("p99Millis"));
      row(
          "gateway GET 1 entity p99 at 2,000/s (ms)",
          "<= 1",
          String.format("%.2f", p99get),
          atMost(p99get, 1));
      row(
          "gateway POST 1 entity p99 at 2,000/s (ms)",
          "<= 1",
          String.format("%.2f", p99post),
          atMost(p99post, 1));
      Map<String, Object> raw = m(cases.get("raw Redis GET (Lettuce)"));
      double p99raw = d(m(raw.get("2000")).get("p99Millis"));
      row(
          "reference: raw Redis GET p99 at 2,000/s, same client load (ms)",
          "(physical floor)",
          String.format("%.2f", p99raw),
          "-");
      double best = d(get1.get("maxTestedRateWithP99Under5ms"));
      row(
          "gateway max rate with p99 < 5 ms (GET, rates tested)",
          ">= 20,000/s",
          String.format("%.0f/s", best),
          atLeast(best, 20_000));
      double worst100 = 0;
      for (var r : post100.values()) {
        if (r instanceof Map) {
          worst100 = Math.max(worst100, d(m(r).get("p99Millis")));
        }
      }
      row(
          "gateway 100 entities p99 (ms, worst tested rate)",
          "<= 10",
          String.format("%.2f", worst100),
          atMost(worst100, 10));
    }
    if (root.containsKey("state")) {
      Map<String, Object> s = m(root.get("state"));
      row(
          "RocksDB state, bytes per active key (checkpoint)",
          "(none)",
          String.format(
              "%.1f (%s keys, checkpoint %s bytes)",
              d(s.get("bytesPerActiveKey")), s.get("activeKeys"), s.get("checkpointBytes")),
          "-");
    }
    if (root.containsKey("endToEnd")) {
      endToEnd(b, m(root.get("endToEnd")));
    }
    if (root.containsKey("freshness")) {
      freshness(b, m(root.get("freshness")));
    }
    b.append("## Against the targets of the issue\n\n");
    b.append("| measure | target | measured | verdict |\n|---|---|---|---|\n");
    for (String[] r : rows) {
      b.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    Path notes = dir.resolve("notes.md");
    if (Files.exists(notes)) {
      try {
        b.append("\n").append(Files.readString(notes));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot read " + notes, e);
      }
    }
    return b.toString();
  }

  private void endToEnd(StringBuilder b, Map<String, Object> e) {
    Map<String, Object> s = m(e.get("eventsPerSecond"));
    b.append("End to end (Kafka → Freshet → exactly-once Postgres + Redis): ");
    b.append(e.get("parameters")).append("\n\n");
    b.append(
        "| rep | events/s | events/CPU s | net runtime ms | offline rows | online keys | checkpoints");
    b.append(
        " with rows | sample check | load avg |\n|---:|---:|---:|---:|---:|---:|---:|---|---:|\n");
    int i = 0;
    for (Object o : (List<?>) e.get("runs")) {
      Map<String, Object> r = m(o);
      b.append(
          String.format(
              "| %d | %.0f | %s | %s | %s | %s | %s | %s | %.1f |%n",
              i++,
              d(r.get("eventsPerSecond")),
              r.containsKey("eventsPerProcessCpuSecond")
                  ? String.format("%.0f", d(r.get("eventsPerProcessCpuSecond")))
                  : "-",
              r.get("netRuntimeMillis"),
              r.get("offlineRows"),
              r.get("onlineKeys"),
              r.get("checkpointsCommitted"),
              r.get("sampleCheck"),
              d(r.get("load1"))));
    }
    b.append(
        String.format(
            "%nMedian %.0f events/s (min %.0f, max %.0f).%n%n",
            d(s.get("median")), d(s.get("min")), d(s.get("max"))));
    i = 0;
    for (Object o : (List<?>) e.get("runs")) {
      Map<String, Object> r = m(o);
      b.append("Rep ").append(i++).append(": checkpoints (Flink REST, last read before the end) ");
      b.append(r.get("checkpointStatsBeforeEnd")).append("; offline commits by checkpoint ");
      b.append(r.get("offlineCommits")).append("\n\n");
    }
    double median = d(s.get("median"));
    row(
        "end to end, Kafka → exactly-once Postgres + Redis, user_activity, 100k users (events/s)",
        ">= 100,000",
        String.format("%.0f", median),
        atLeast(median, 100_000));
  }

  private void freshness(StringBuilder b, Map<String, Object> f) {
    Map<String, Object> ms = m(f.get("freshnessMillis"));
    b.append("Freshness (watermark-moving event acknowledged by Kafka → row readable through");
    b.append(" the gateway): ").append(f.get("parameters")).append("\n\n");
    b.append(
        "Percentiles are over the windows read; those never read are counted beside them.\n\n");
    b.append("| windows closed | read | not readable in 30 s | pending at end | p50 ms | p90 ms |");
    b.append(" p99 ms | max ms | checkpoints with rows | load avg |\n");
    b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    boolean any = ms.containsKey("p99");
    b.append(
        String.format(
            "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f |%n",
            f.get("windowsClosed"),
            f.get("windowsRead"),
            f.get("windowsNotReadableWithin30s"),
            f.get("windowsStillPendingAtEnd"),
            any ? String.format("%.0f", d(ms.get("p50"))) : "-",
            any ? String.format("%.0f", d(ms.get("p90"))) : "-",
            any ? String.format("%.0f", d(ms.get("p99"))) : "-",
            any ? String.format("%.0f", d(ms.get("max"))) : "-",
            f.get("checkpointsCommitted"),
            d(f.get("load1"))));
    Map<String, Object> pg = m(f.get("watermarkToOfflineCommitMillis"));
    if (pg.containsKey("p50")) {
      b.append(
          String.format(
              "%nBreakdown: watermark-moving event → the offline commit transaction of the row"
                  + " (about when the checkpoint completed): p50 %.0f ms, p99 %.0f ms.%n",
              d(pg.get("p50")), d(pg.get("p99"))));
    }
    if (f.get("checkpoints") instanceof Map<?, ?> cp && !cp.isEmpty()) {
      b.append("\nCheckpoints of the job (Flink REST, before cancelling): ").append(cp);
      b.append('\n');
    }
    b.append('\n');
    Map<String, Object> params = m(f.get("parameters"));
    String what =
        "freshness p99, exactly once, checkpoint every "
            + params.get("checkpointIntervalMillis")
            + " ms (s)";
    long closed = ((Number) f.get("windowsClosed")).longValue();
    long unread =
        ((Number) f.get("windowsNotReadableWithin30s")).longValue()
            + ((Number) f.get("windowsStillPendingAtEnd")).longValue();
    if (closed > 0 && unread > closed / 100) {
      // More than 1% of the windows never became readable: the p99 over all windows is beyond
      // the 30 s the poller waits, whatever the percentiles of the windows that were read say.
      row(
          what,
          "<= 1.5",
          String.format("> 30 (%d of %d windows not readable within 30 s)", unread, closed),
          "miss");
    } else if (any) {
      double p99 = d(ms.get("p99")) / 1000;
      row(
          what,
          "<= 1.5",
          String.format("%.2f (%s windows)", p99, ms.get("count")),
          atMost(p99, 1.5));
    }
  }

  void charts() throws IOException {
    if (root.containsKey("pipeline")) {
      Map<String, Object> p = m(root.get("pipeline"));
      CategoryChart c =
          new CategoryChartBuilder()
              .width(900)
              .height(500)
              .title("user_activity pipeline throughput (median, RocksDB, parallelism 2)")
              .xAxisTitle("window")
              .yAxisTitle("events/s")
              .build();
      List<String> windows = new ArrayList<>();
      for (String k : p.keySet()) {
        if (!k.equals("parameters")) {
          windows.add(k);
        }
      }
      for (PipelineBench.Variant v : PipelineBench.Variant.values()) {
        List<Double> ys = new ArrayList<>();
        for (String w : windows) {
          ys.add(d(m(m(m(p.get(w)).get(v.name())).get("eventsPerSecond")).get("median")));
        }
        c.addSeries(v.name(), windows, ys);
      }
      BitmapEncoder.saveBitmap(
          c, dir.resolve("pipeline-throughput").toString(), BitmapEncoder.BitmapFormat.PNG);
    }
    if (root.containsKey("gateway")) {
      Map<String, Object> cases = m(m(root.get("gateway")).get("fixedRate"));
      XYChart c =
          new XYChartBuilder()
              .width(900)
              .height(500)
              .title("gateway p99 latency by request rate (open loop)")
              .xAxisTitle("requests/s")
              .yAxisTitle("p99 ms")
              .build();
      c.getStyler().setYAxisLogarithmic(true);
      for (var e : cases.entrySet()) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (var r : m(e.getValue()).entrySet()) {
          if (r.getValue() instanceof Map) {
            xs.add(Double.parseDouble(r.getKey()));
            ys.add(Math.max(0.01, d(m(r.getValue()).get("p99Millis"))));
          }
        }
        if (!xs.isEmpty()) {
          c.addSeries(e.getKey(), xs, ys);
        }
      }
      BitmapEncoder.saveBitmap(
          c, dir.resolve("gateway-p99").toString(), BitmapEncoder.BitmapFormat.PNG);
    }
  }
}
