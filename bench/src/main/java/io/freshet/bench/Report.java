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

  /** A number in the given format, or "-" when the run did not measure it. */
  private static String orDash(Object value, String format) {
    return value instanceof Number n ? String.format(format, n.doubleValue()) : "-";
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
    for (var e : root.entrySet()) {
      if (e.getKey().startsWith("pipeline")
          && !e.getKey().equals("pipelinePartial")
          && e.getValue() instanceof Map<?, ?> p) {
        pipeline(b, e.getKey(), m(p));
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
      if (o.get("requestTime") instanceof Map<?, ?> rt) {
        for (String profile : List.of("activeEveryMinute", "activeTenMinutes")) {
          if (m(rt).get(profile) instanceof Map<?, ?> p) {
            row(
                "online memory, request-time "
                    + m(rt).get("view")
                    + " bytes/entity at steady state, "
                    + (profile.equals("activeEveryMinute")
                        ? "active every minute"
                        : "active 10 minutes an hour"),
                "(none)",
                String.format(
                    "%.1f (%.1f tiles of %.1f payload bytes)",
                    d(m(p).get("bytesPerEntityMemoryUsage")),
                    d(m(p).get("tilesPerEntity")),
                    d(m(p).get("payloadBytesPerTile"))),
                "-");
          }
        }
      }
    }
    if (root.containsKey("gateway")) {
      gateway(b, m(root.get("gateway")));
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
    training(b);
    if (root.containsKey("endToEnd")) {
      endToEnd(b, m(root.get("endToEnd")));
    }
    if (root.containsKey("freshness")) {
      freshness(b, m(root.get("freshness")));
    }
    if (root.containsKey("eventToReadable")) {
      eventToReadable(b, m(root.get("eventToReadable")));
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

  private void pipeline(StringBuilder b, String section, Map<String, Object> p) {
    Object events = m(p.get("parameters")).get("events");
    b.append(
        String.format(
            "### Pipeline throughput (%s): %s events%n%n",
            section, events instanceof Number n ? String.format("%,d", n.longValue()) : events));
    b.append("Parameters: ").append(p.get("parameters")).append("\n\n");
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
      boolean target = w.equals("1h/1min");
      if (s.containsKey("ratioFreshetOverSql")) {
        double rb = d(s.get("ratioFreshetOverSql"));
        row(
            "pipeline " + w + ", " + events + " events: Freshet / Flink SQL HOP",
            target ? ">= 2x" : "(none)",
            String.format("%.2fx", rb),
            target ? atLeast(rb, 2) : "-");
      }
      if (s.containsKey("ratioFreshetOverDataStream")) {
        double rc = d(s.get("ratioFreshetOverDataStream"));
        row(
            "pipeline " + w + ", " + events + " events: Freshet / DataStream sliding",
            target ? ">= 10x" : "(none)",
            String.format("%.2fx", rc),
            target ? atLeast(rc, 10) : "-");
      }
      if (s.size() == 1 && m(s.get("FRESHET")) != null) {
        row(
            "pipeline " + w + ", " + events + " events: Freshet events/s (Freshet alone)",
            "(none)",
            String.format("%.0f", d(m(m(s.get("FRESHET")).get("eventsPerSecond")).get("median"))),
            "-");
      }
    }
  }

  /** The training-set section: figures per side, and the two targets. */
  private void training(StringBuilder b) {
    if (!(root.get("training") instanceof Map<?, ?> raw)) {
      return;
    }
    Map<String, Object> t = m(raw);
    b.append("Training sets: ").append(t.get("parameters")).append("\n\n");
    b.append("Postgres: ").append(t.get("postgres")).append("\n\n");
    b.append("| side | median label rows/s | min | max | spread | median s | load avg (runs) |\n");
    b.append("|---|---:|---:|---:|---:|---:|---|\n");
    for (String side : List.of("freshet", "feast")) {
      Map<String, Object> s = m(m(t.get(side)).get("labelRowsPerSecond"));
      List<Double> secs = new ArrayList<>();
      StringBuilder loads = new StringBuilder();
      for (Object r : (List<?>) m(t.get(side)).get("runs")) {
        secs.add(d(m(r).get("seconds")));
        loads.append(String.format("%.1f ", d(m(r).get("load1"))));
      }
      b.append(
          String.format(
              "| %s | %.0f | %.0f | %.0f | %.0f%% | %.2f | %s|%n",
              side.equals("freshet") ? "Freshet training-set builder" : "Feast-style PIT join",
              d(s.get("median")),
              d(s.get("min")),
              d(s.get("max")),
              d(s.get("spreadPercent")),
              Stats.median(secs),
              loads));
    }
    b.append("\nBoth sides agree on every label row: ").append(t.get("agreement")).append("\n\n");
    if (t.get("feastPlan") instanceof List<?> plan) {
      b.append("Plan of the Feast-style query (EXPLAIN):\n\n");
      for (Object line : plan) {
        b.append("    ").append(line).append('\n');
      }
      b.append('\n');
    }
    double rate = d(m(m(t.get("freshet")).get("labelRowsPerSecond")).get("median"));
    double ratio = d(t.get("ratioFreshetOverFeast"));
    row(
        "training set: Freshet label rows/s",
        ">= 500,000/s",
        String.format("%.0f/s", rate),
        atLeast(rate, 500_000));
    row(
        "training set: Freshet / Feast-style PIT join",
        ">= 10x",
        String.format("%.1fx", ratio),
        atLeast(ratio, 10));
  }

  /** p99 of one case at one rate, or NaN when that run is not in the results. */
  static double p99(Map<String, Object> cases, String c, String rate) {
    Object byRate = cases.get(c);
    Object run = byRate instanceof Map ? m(byRate).get(rate) : null;
    return run instanceof Map ? d(m(run).get("p99Millis")) : Double.NaN;
  }

  private void gateway(StringBuilder b, Map<String, Object> g) {
    Map<String, Object> cases = m(g.get("fixedRate"));
    b.append("## Gateway\n\n");
    b.append("Client: ").append(g.get("client")).append(". Entities: ").append(g.get("entities"));
    b.append(". Open loop: latency from each request's intended send time (ms); ");
    b.append(g.get("measuredSecondsPerRate")).append(" s measured after ");
    b.append(g.get("warmupSeconds")).append(" s warm-up per rate. A request unanswered after ");
    b.append(g.get("requestTimeoutMillis")).append(" ms is a timeout, counted and recorded at");
    b.append(" that time; sent = answered 200 + errors + timeouts, none unaccounted.\n\n");
    b.append("| request | rate/s | achieved/s | sent | p50 | p99 | p99.9 | max | errors |");
    b.append(" timeouts | load avg |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (var c : cases.entrySet()) {
      for (var r : m(c.getValue()).entrySet()) {
        if (r.getValue() instanceof Map) {
          b.append(gatewayRow(c.getKey(), r.getKey(), m(r.getValue())));
        }
      }
    }
    String redisCase = String.valueOf(g.get("redisCase"));
    Map<String, Object> max = g.get("maxRate") instanceof Map ? m(g.get("maxRate")) : Map.of();
    String getCase = "GET 1 entity x user_activity";
    if (!max.isEmpty()) {
      b.append(
          "\nMaximum rate with p99 < 5 ms (doubling, then bisection to within 10%; each step ");
      b.append(g.get("searchStepSeconds")).append(" s measured after ");
      b.append(g.get("searchStepWarmupSeconds"));
      b.append(" s warm-up; a step passes with no errors or timeouts and >= 95% of its rate");
      b.append(" achieved):\n\n");
      b.append("| request | max rate/s | first failing rate/s | steps |\n|---|---:|---:|---|\n");
      for (var e : max.entrySet()) {
        Map<String, Object> x = m(e.getValue());
        StringBuilder steps = new StringBuilder();
        for (Object st : (List<?>) x.get("steps")) {
          Map<String, Object> y = m(st);
          steps.append(
              String.format(
                  "%s: p99 %.2f%s; ",
                  y.get("targetRate"),
                  d(y.get("p99Millis")),
                  OpenLoop.meets(y, 5.0) ? "" : " (fail)"));
        }
        b.append(
            String.format(
                "| %s | %s | %s | %s|%n",
                e.getKey(), x.get("maxRate"), x.get("firstFailingRate"), steps));
      }
    }
    b.append('\n');
    double rawAt2k = p99(cases, redisCase, "2000");
    String ref = String.format(" (raw Redis GET %.2f)", rawAt2k);
    for (String c :
        List.of(getCase, "POST 1 entity x user_activity", "POST 1 entity x 50 features")) {
      double p = p99(cases, c, "2000");
      if (!Double.isNaN(p)) {
        row(
            "gateway " + c + ": p99 at 2,000/s (ms)",
            "<= 1",
            String.format("%.2f", p) + ref,
            atMost(p, 1));
      }
    }
    // Wide requests against what Redis itself costs at the same rate.
    for (String c : List.of("POST 1 entity x 50 features", "POST 1 entity x 500 features")) {
      double p = p99(cases, c, "2000");
      if (Double.isNaN(p) || Double.isNaN(rawAt2k)) {
        continue;
      }
      boolean target = c.equals("POST 1 entity x 50 features");
      // A raw GET that found no key (the database flushed under the run) is counted as an error.
      Object rawErrors = m(m(cases.get(redisCase)).get("2000")).get("errors");
      String spoiled =
          rawErrors instanceof Number e && e.longValue() > 0
              ? "; raw Redis GET had " + e + " errors, not comparable"
              : "";
      row(
          "gateway " + c + ": p99 at 2,000/s over raw Redis GET p99 at 2,000/s",
          target ? "<= 2x" : "(none)",
          String.format("%.2fx (%.2f / %.2f ms%s)", p / rawAt2k, p, rawAt2k, spoiled),
          target && spoiled.isEmpty() ? atMost(p / rawAt2k, 2) : "-");
    }
    if (max.containsKey(getCase)) {
      double best = d(m(max.get(getCase)).get("maxRate"));
      Object rawBest = max.containsKey(redisCase) ? m(max.get(redisCase)).get("maxRate") : "-";
      row(
          "gateway max rate with p99 < 5 ms (GET 1 entity, search)",
          ">= 20,000/s",
          String.format("%.0f/s (raw Redis GET %s/s)", best, rawBest),
          atLeast(best, 20_000));
    }
    for (String c :
        List.of("POST 100 entities x 10 features", "POST 100 entities x user_activity")) {
      if (!(cases.get(c) instanceof Map)) {
        continue;
      }
      double worst = 0;
      StringBuilder at = new StringBuilder();
      for (var r : m(cases.get(c)).entrySet()) {
        if (r.getValue() instanceof Map) {
          double p = d(m(r.getValue()).get("p99Millis"));
          worst = Math.max(worst, p);
          at.append(String.format("%s/s: %.2f; ", r.getKey(), p));
        }
      }
      row(
          "gateway " + c + ": p99 (ms), worst tested rate",
          "<= 10",
          String.format("%.2f (%s raw Redis GET p99 at 2,000/s %.2f)", worst, at, rawAt2k),
          atMost(worst, 10));
    }
  }

  private static String gatewayRow(String c, String rate, Map<String, Object> x) {
    return String.format(
        "| %s | %s | %.0f | %s | %.2f | %.2f | %.2f | %.2f | %s | %s | %.1f |%n",
        c,
        rate,
        d(x.get("achievedRate")),
        x.getOrDefault("measuredSent", x.get("measuredRequests")),
        d(x.get("p50Millis")),
        d(x.get("p99Millis")),
        d(x.get("p999Millis")),
        d(x.get("maxMillis")),
        x.get("errors"),
        x.getOrDefault("timeouts", x.getOrDefault("unansweredAfterDrain", "-")),
        d(x.get("load1")));
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
    if (e.containsKey("physicalBaseline")) {
      Map<String, Object> pb = m(e.get("physicalBaseline"));
      double physical = d(pb.get("eventsPerSecond"));
      double ratio = median / physical;
      b.append(
          "Physical baseline, the same run, after Freshet's repetitions (the same topic, a fresh"
              + " consumer group; no Flink, no windows, no state): ");
      b.append(pb.get("program")).append("; ").append(pb.get("rule")).append(".\n\n");
      b.append("| program | events/s | events/CPU s | wall ms | offline rows | transactions |");
      b.append(" online keys | load avg |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
      Map<String, Object> last =
          m(((List<?>) e.get("runs")).get(((List<?>) e.get("runs")).size() - 1));
      b.append(
          String.format(
              "| Freshet (median of reps; counts of the last) | %.0f | %s | %s | %s | %s | %s | %.1f |%n",
              median,
              last.containsKey("eventsPerProcessCpuSecond")
                  ? String.format("%.0f", d(last.get("eventsPerProcessCpuSecond")))
                  : "-",
              last.get("netRuntimeMillis"),
              last.get("offlineRows"),
              last.get("checkpointsCommitted"),
              last.get("onlineKeys"),
              d(last.get("load1"))));
      b.append(
          String.format(
              "| physical baseline | %.0f | %.0f | %s | %s | %s | %s | %.1f |%n%n",
              physical,
              d(pb.get("eventsPerProcessCpuSecond")),
              pb.get("wallMillis"),
              pb.get("offlineRows"),
              pb.get("transactions"),
              pb.get("onlineKeys"),
              d(pb.get("load1"))));
      b.append(
          String.format(
              "End to end: Freshet %.0f ev/s, physical baseline %.0f ev/s, ratio %.2f"
                  + " (target >= 0.5: %s).%n%n",
              median, physical, ratio, atLeast(ratio, 0.5)));
      row(
          "end to end, Freshet / physical baseline (same I/O, no Flink), events/s",
          ">= 0.5",
          String.format("%.2f (Freshet %.0f, baseline %.0f ev/s)", ratio, median, physical),
          atLeast(ratio, 0.5));
    }
  }

  private void eventToReadable(StringBuilder b, Map<String, Object> byMode) {
    b.append("Event → readable (probe event acknowledged by Kafka → the gateway answers with it");
    b.append(" counted, event time = wall time; exactly once, RocksDB, parallelism 2):\n\n");
    b.append("| mode | view | serving | s | ev/s | users | probes | read | never | twice |");
    b.append(" p50 ms | p99 ms | max ms | online B/entity | offline per event |");
    b.append(" ckpt p50/p99/max ms | > interval | behind at end (s) | load avg |\n");
    b.append(
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|\n");
    for (var e : byMode.entrySet()) {
      Map<String, Object> r = m(e.getValue());
      Map<String, Object> p = m(r.get("parameters"));
      Map<String, Object> ms = m(r.get("eventToReadableMillis"));
      Map<String, Object> cp =
          r.get("checkpoints") instanceof Map<?, ?> ? m(r.get("checkpoints")) : Map.of();
      Map<String, Object> cpe = m(cp.get("endToEndMillis"));
      boolean any = ms.containsKey("p99");
      long twice =
          ((Number) r.getOrDefault("probesCountedTwice", 0)).longValue()
              + ((Number) r.getOrDefault("probesCountedTwiceOnRecheck", 0)).longValue();
      b.append(
          String.format(
              "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s |"
                  + " %s | %s of %s | %s | %.1f |%n",
              e.getKey(),
              p.get("view"),
              p.get("serving"),
              p.get("producerSeconds"),
              r.get("producedEventsPerSecond") instanceof Number sent
                  ? String.format("%s (%.0f sent)", p.get("backgroundEventsPerSecond"), d(sent))
                  : p.get("backgroundEventsPerSecond"),
              p.get("users"),
              r.get("probes"),
              r.get("probesRead"),
              r.get("probesNeverReadable"),
              twice,
              any ? String.format("%.0f", d(ms.get("p50"))) : "-",
              any ? String.format("%.0f", d(ms.get("p99"))) : "-",
              any ? String.format("%.0f", d(ms.get("max"))) : "-",
              orDash(m(r.get("online")).get("bytesPerEntity"), "%.0f"),
              orDash(m(r.get("offline")).get("perEvent"), "%.3f"),
              cpe != null && cpe.containsKey("p50")
                  ? String.format(
                      "%.0f/%.0f/%.0f", d(cpe.get("p50")), d(cpe.get("p99")), d(cpe.get("max")))
                  : "-",
              cp.get("longerThanInterval"),
              cp.get("measured"),
              r.get("lagWhenProducingEnded") instanceof Map<?, ?> lag
                      && m(lag).get("seconds") instanceof Number behind
                  ? String.format("%.1f", behind.doubleValue())
                  : "-",
              d(r.get("load1"))));
    }
    b.append('\n');
    for (var e : byMode.entrySet()) {
      Map<String, Object> r = m(e.getValue());
      b.append("- `").append(e.getKey()).append("`: `").append(r.get("command")).append("`");
      b.append("; flink options: ")
          .append(m(r.get("parameters")).getOrDefault("flinkConf", ""))
          .append("; checkpoints ")
          .append(r.get("checkpoints"))
          .append('\n');
      Map<String, Object> rp = m(r.get("parameters"));
      Map<String, Object> rcp =
          r.get("checkpoints") instanceof Map<?, ?> ? m(r.get("checkpoints")) : Map.of();
      Map<String, Object> rce = m(rcp.get("endToEndMillis"));
      if (rp.get("backgroundEventsPerSecond") instanceof Number rate
          && rate.intValue() >= 20_000
          && rce != null
          && rce.containsKey("p99")) {
        row(
            "checkpoint p99 at " + rate + " events/s, 1 s interval (" + e.getKey() + ", ms)",
            "<= 1000",
            String.format("%.0f (p50 %.0f)", d(rce.get("p99")), d(rce.get("p50"))),
            atMost(d(rce.get("p99")), 1000));
      }
      if (r.get("breakdown") instanceof Map<?, ?> bd && m(bd).containsKey("barrierMillis")) {
        b.append("  - where a probe waits (ms, p50/p99): ");
        List<String> parts = new ArrayList<>();
        for (String part : List.of("barrier", "checkpoint", "commit", "poll")) {
          Map<String, Object> pm = m(m(bd).get(part + "Millis"));
          parts.add(
              pm.containsKey("p50")
                  ? String.format("%s %.0f/%.0f", part, d(pm.get("p50")), d(pm.get("p99")))
                  : part + " -");
        }
        b.append(String.join(", ", parts));
        b.append(" (").append(m(bd).get("probesUnattributed")).append(" probes unattributed)\n");
      }
      Map<String, Object> ms = m(r.get("eventToReadableMillis"));
      if (ms.containsKey("p99") && "live".equals(e.getKey())) {
        double p99 = d(ms.get("p99")) / 1000;
        long never = ((Number) r.get("probesNeverReadable")).longValue();
        row(
            "event → readable p99, request-time user_activity_live, 1 s checkpoints (s)",
            "<= 1.5",
            never > 0
                ? String.format("%.2f (%d probes never readable)", p99, never)
                : String.format("%.2f", p99),
            never > 0 ? "miss" : atMost(p99, 1.5));
      }
    }
    b.append('\n');
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

  /** One bar chart per pipeline section: the median of every variant that ran every window. */
  private void pipelineChart(String section, Map<String, Object> p) throws IOException {
    List<String> windows = new ArrayList<>();
    for (String k : p.keySet()) {
      if (!k.equals("parameters")) {
        windows.add(k);
      }
    }
    CategoryChart c =
        new CategoryChartBuilder()
            .width(900)
            .height(500)
            .title(
                "user_activity pipeline, "
                    + m(p.get("parameters")).get("events")
                    + " events (median events/s, RocksDB, parallelism 2, log scale)")
            .xAxisTitle("window")
            .yAxisTitle("events/s")
            .build();
    c.getStyler().setYAxisLogarithmic(true);
    // Bars rise from the axis minimum, which must be above zero on a logarithmic axis.
    c.getStyler().setYAxisMin(1.0);
    for (PipelineBench.Variant v : PipelineBench.Variant.values()) {
      List<Double> ys = new ArrayList<>();
      for (String w : windows) {
        Map<String, Object> byVariant = m(m(p.get(w)).get(v.name()));
        if (byVariant != null) {
          ys.add(d(m(byVariant.get("eventsPerSecond")).get("median")));
        }
      }
      if (ys.size() == windows.size() && !ys.isEmpty()) {
        c.addSeries(v.name(), windows, ys);
      }
    }
    if (!c.getSeriesMap().isEmpty()) {
      BitmapEncoder.saveBitmap(
          c, dir.resolve(section + "-throughput").toString(), BitmapEncoder.BitmapFormat.PNG);
    }
  }

  void charts() throws IOException {
    for (var section : root.entrySet()) {
      if (section.getKey().startsWith("pipeline")
          && !section.getKey().equals("pipelinePartial")
          && section.getValue() instanceof Map<?, ?> raw) {
        pipelineChart(section.getKey(), m(raw));
      }
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
