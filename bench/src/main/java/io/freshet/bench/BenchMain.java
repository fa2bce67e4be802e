package io.freshet.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the benchmarks and writes {@code results.json}, {@code results.md} and charts.
 *
 * <pre>
 * --only pipeline,memory,gateway,state   which benchmarks (default: these four; also training, e2e,
 *                  freshness)
 * --events N       events per pipeline run (default 2000000)
 * --users N        entities (default 100000)
 * --reps N         repetitions per pipeline variant (default 3)
 * --gateway-seconds N   measured seconds per fixed-rate gateway run (default 10; see
 *                       GatewayBench.Settings for --gateway-warmup, --gateway-search-seconds,
 *                       --gateway-timeout-ms)
 * --redis URI      default redis://127.0.0.1:6379/9 (the benchmark FLUSHes this database)
 * --training-labels N / --training-rows N   training-set sizes (default 1000000 / 10000000)
 * --out DIR        default bench/results/&lt;date&gt;
 * </pre>
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = parse(args);
    Set<String> only =
        new LinkedHashSet<>(
            Arrays.asList(a.getOrDefault("only", "pipeline,memory,gateway,state").split(",")));
    long events = Long.parseLong(a.getOrDefault("events", "2000000"));
    int users = Integer.parseInt(a.getOrDefault("users", "100000"));
    int reps = Integer.parseInt(a.getOrDefault("reps", "3"));
    if (a.containsKey("step-ms")) {
      System.setProperty("freshet.bench.stepMillis", a.get("step-ms"));
    }
    String redis = a.getOrDefault("redis", "redis://127.0.0.1:6379/9");
    Path out =
        Path.of(a.getOrDefault("out", "bench/results/" + LocalDate.now(ZoneOffset.UTC).toString()));
    Files.createDirectories(out);

    Report report = new Report(out);
    List<Object> commands = new ArrayList<>();
    if (report.get("commands") instanceof List<?> earlier) {
      commands.addAll(earlier);
    }
    if (!only.equals(Set.of("report"))) {
      commands.add("bench/run.sh " + String.join(" ", args));
    }
    report.put("commands", commands);
    report.put("machine", Machine.describe());

    if (only.contains("pipeline")) {
      List<Duration> slides = new ArrayList<>();
      for (String m : a.getOrDefault("slides", "15,1").split(",")) {
        slides.add(Duration.ofMinutes(Long.parseLong(m.trim())));
      }
      List<PipelineBench.Variant> variants = new ArrayList<>();
      for (String v : a.getOrDefault("variants", "FRESHET,SQL_HOP,DATASTREAM_SLIDING").split(",")) {
        variants.add(PipelineBench.Variant.valueOf(v.trim()));
      }
      String section = a.getOrDefault("pipeline-section", "pipeline");
      report.put(section, pipeline(events, users, reps, slides, variants, report));
      report.write();
    }
    if (only.contains("memory")) {
      report.put("onlineMemory", OnlineMemoryBench.run(redis, users));
      report.write();
    }
    if (only.contains("gateway")) {
      report.put("gateway", GatewayBench.run(redis, users, GatewayBench.Settings.from(a)));
      report.write();
    }
    if (only.contains("state")) {
      report.put("state", StateBench.run(Math.min(users, 100_000)));
      report.write();
    }
    if (only.contains("training")) {
      report.put("training", TrainingBench.run(TrainingBench.Params.from(a, reps)));
      report.write();
    }
    if (only.contains("e2e")) {
      report.put(
          "endToEnd",
          EndToEndBench.run(
              new EndToEndBench.Params(
                  Long.parseLong(a.getOrDefault("e2e-events", "2000000")),
                  users,
                  reps,
                  Long.parseLong(a.getOrDefault("e2e-checkpoint-ms", "5000")),
                  PipelineBench.stepMillis(),
                  Boolean.parseBoolean(a.getOrDefault("e2e-baseline", "true")))));
      report.write();
    }
    if (only.contains("freshness")) {
      report.put(
          "freshness",
          FreshnessBench.run(
              new FreshnessBench.Params(
                  a.getOrDefault("freshness-view", "user_activity_live"),
                  Integer.parseInt(a.getOrDefault("freshness-seconds", "75")),
                  Integer.parseInt(a.getOrDefault("freshness-rate", "2000")),
                  Integer.parseInt(a.getOrDefault("freshness-users", String.valueOf(users))),
                  Long.parseLong(a.getOrDefault("freshness-checkpoint-ms", "1000")),
                  Double.parseDouble(a.getOrDefault("freshness-wall-ms-per-minute", "200")),
                  Long.parseLong(a.getOrDefault("freshness-poll-ms", "10")),
                  Integer.parseInt(a.getOrDefault("freshness-warmup-seconds", "5")))));
      report.write();
    }
    if (only.contains("readable")) {
      Map<String, Object> byMode = new LinkedHashMap<>();
      if (report.get("eventToReadable") instanceof Map<?, ?> earlier) {
        earlier.forEach((k, v) -> byMode.put(String.valueOf(k), v));
      }
      for (String mode : a.getOrDefault("readable-modes", "live,live-window-end").split(",")) {
        boolean hourly = mode.trim().equals("hourly");
        Map<String, Object> r =
            EventToReadableBench.run(
                new EventToReadableBench.Params(
                    mode.trim(),
                    Integer.parseInt(a.getOrDefault("readable-seconds", "60")),
                    Integer.parseInt(a.getOrDefault("readable-rate", "2000")),
                    Integer.parseInt(a.getOrDefault("readable-users", "1000")),
                    Double.parseDouble(a.getOrDefault("readable-probes-per-second", "4")),
                    Long.parseLong(a.getOrDefault("readable-checkpoint-ms", "1000")),
                    Long.parseLong(a.getOrDefault("readable-poll-ms", "10")),
                    Integer.parseInt(
                        a.getOrDefault("readable-wait-seconds", hourly ? "1800" : "90")),
                    Integer.parseInt(
                        a.getOrDefault(
                            "readable-probe-seconds", a.getOrDefault("readable-seconds", "60")))));
        r.put("command", "bench/run.sh " + String.join(" ", args));
        String label = a.getOrDefault("readable-label", "").trim();
        String key = label.isEmpty() ? mode.trim() : mode.trim() + " " + label;
        System.out.println("event-to-readable " + key + ": " + r);
        byMode.put(key, r);
        report.put("eventToReadable", byMode);
        report.write();
      }
    }
    report.write();
    System.out.println("results in " + out.toAbsolutePath());
    // The in-process Kafka broker of the e2e and freshness benchmarks keeps non-daemon threads.
    System.exit(0);
  }

  static Map<String, Object> pipeline(
      long events,
      int users,
      int reps,
      List<Duration> slides,
      List<PipelineBench.Variant> variants,
      Report report)
      throws Exception {
    Map<String, Object> res = new LinkedHashMap<>();
    report.put("pipelinePartial", res);
    res.put(
        "parameters",
        Map.of(
            "events",
            events,
            "eventTimeStepMillis",
            PipelineBench.stepMillis(),
            "users",
            users,
            "repetitions",
            reps,
            "parallelism",
            2,
            "stateBackend",
            "rocksdb, incremental checkpoints every 10 s",
            "source",
            "fromSequence + deterministic JSON generator (seed 42)",
            "sink",
            "DiscardingSink",
            "rate",
            "events / (job end - first generated event): deployment excluded, end-of-input"
                + " firing included"));
    for (Duration slide : slides) {
      String sk = "1h/" + slide.toMinutes() + "min";
      Map<String, Object> bySlide = new LinkedHashMap<>();
      Map<PipelineBench.Variant, Double> medians = new LinkedHashMap<>();
      for (PipelineBench.Variant v : variants) {
        List<Double> rates = new ArrayList<>();
        List<Object> runs = new ArrayList<>();
        for (int r = 0; r < reps; r++) {
          var run =
              PipelineBench.run(
                  new PipelineBench.Params(v, slide, events, users, 2, 42, Duration.ofSeconds(10)));
          System.out.printf(
              "pipeline %s %s rep %d: %.0f events/s (%d events processed in %d ms; job %d ms;"
                  + " load %.2f)%n",
              sk,
              v,
              r,
              run.eventsPerSecond(),
              run.events(),
              run.processingMillis(),
              run.netRuntimeMillis(),
              run.load1());
          rates.add(run.eventsPerSecond());
          runs.add(run);
        }
        Map<String, Object> vr = new LinkedHashMap<>();
        vr.put("eventsPerSecond", Stats.summary(rates));
        vr.put("runs", runs);
        bySlide.put(v.name(), vr);
        medians.put(v, Stats.median(rates));
        res.put(sk, bySlide);
        report.write();
      }
      Double f = medians.get(PipelineBench.Variant.FRESHET);
      if (f != null && medians.containsKey(PipelineBench.Variant.SQL_HOP)) {
        bySlide.put("ratioFreshetOverSql", f / medians.get(PipelineBench.Variant.SQL_HOP));
      }
      if (f != null && medians.containsKey(PipelineBench.Variant.DATASTREAM_SLIDING)) {
        bySlide.put(
            "ratioFreshetOverDataStream",
            f / medians.get(PipelineBench.Variant.DATASTREAM_SLIDING));
      }
      res.put(sk, bySlide);
    }
    report.put("pipelinePartial", null);
    return res;
  }

  static Map<String, String> parse(String[] args) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "argument '" + args[i] + "' must be --name value (see bench/README.md)");
      }
      m.put(args[i].substring(2), args[++i]);
    }
    return m;
  }

  static ObjectMapper json() {
    return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).findAndRegisterModules();
  }
}
