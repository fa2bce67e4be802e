package io.freshet.flink;

import io.freshet.flink.compile.BackfillCompiler;
import io.freshet.flink.compile.BackfillSource;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import java.time.Instant;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ParameterTool;

/**
 * Runs views over historical events in batch mode, writing the offline table (and with {@code
 * --online} the online table).
 *
 * <pre>
 * --views user_activity                    views to run (default: every bundled view)
 * --input events.jsonl                     JSON lines (a file or a directory), or
 * --kafka host:9092 --to 2026-11-23T00:00:00Z [--from ...]   a bounded range of each view's topic
 * --pg-url jdbc:postgresql://...           offline store (or FRESHET_PG_URL)
 * --online --redis-url redis://...         also write each entity's latest row online
 * </pre>
 */
public final class BackfillJob {
  private BackfillJob() {}

  public static void main(String[] args) throws Exception {
    ParameterTool params = ParameterTool.fromArgs(args);
    Catalog catalog = Catalog.load(BackfillJob.class.getClassLoader());
    List<ViewPlan> plans = FeatureJob.selectViews(catalog, params.get("views"));
    String pgUrl = params.get("pg-url", System.getenv("FRESHET_PG_URL"));
    if (pgUrl == null) {
      throw new IllegalArgumentException("missing --pg-url (or FRESHET_PG_URL)");
    }
    String redisUrl = null;
    if (params.has("online")) {
      redisUrl = params.get("redis-url", System.getenv("FRESHET_REDIS_URL"));
      if (redisUrl == null) {
        throw new IllegalArgumentException("--online needs --redis-url (or FRESHET_REDIS_URL)");
      }
    }
    BackfillSource source;
    if (params.has("input")) {
      source = new BackfillSource.JsonLines(params.get("input"));
    } else if (params.has("kafka") && params.has("to")) {
      source =
          new BackfillSource.KafkaRange(
              params.get("kafka"),
              params.has("from") ? Instant.parse(params.get("from")) : null,
              Instant.parse(params.get("to")));
    } else {
      throw new IllegalArgumentException(
          "say where the history is: --input events.jsonl, or --kafka host:9092 --to <instant>");
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    BackfillCompiler.compile(env, plans, source, pgUrl, redisUrl);
    env.execute(
        "freshet backfill: " + String.join(",", plans.stream().map(ViewPlan::name).toList()));
  }
}
