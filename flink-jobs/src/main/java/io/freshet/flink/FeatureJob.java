package io.freshet.flink;

import io.freshet.flink.compile.FeatureJobCompiler;
import io.freshet.flink.compile.JobSettings;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ParameterTool;

/**
 * The streaming feature job: the entry class of the job jar.
 *
 * <pre>
 * --views user_activity,user_activity_live   views to run (default: every bundled view)
 * --kafka host:9092                          bootstrap servers (or FRESHET_KAFKA)
 * --pg-url jdbc:postgresql://...             offline store (or FRESHET_PG_URL)
 * --redis-url redis://host:6379              online store (or FRESHET_REDIS_URL); a Redis Cluster
 *                                            as redis-cluster://host1:6379,host2:6379
 * --checkpoint-interval 5000                 milliseconds between checkpoints
 * --starting-offsets earliest|latest|committed
 * --group-id freshet-features
 * --rejected-events-topic freshet-rejected   keep dead letters and late events in Kafka
 *                                            (default: the Postgres table freshet.rejected_events)
 * </pre>
 */
public final class FeatureJob {
  private FeatureJob() {}

  public static void main(String[] args) throws Exception {
    ParameterTool params = ParameterTool.fromArgs(args);
    Catalog catalog = Catalog.load(FeatureJob.class.getClassLoader());
    List<ViewPlan> plans = selectViews(catalog, params.get("views"));
    JobSettings settings = settings(params);

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.enableCheckpointing(settings.checkpointIntervalMillis(), CheckpointingMode.EXACTLY_ONCE);
    FeatureJobCompiler.compile(env, plans, settings);
    env.execute("freshet: " + String.join(",", plans.stream().map(ViewPlan::name).toList()));
  }

  static List<ViewPlan> selectViews(Catalog catalog, String views) {
    if (views == null || views.isBlank()) {
      return catalog.plans();
    }
    List<ViewPlan> plans = new ArrayList<>();
    for (String v : views.split(",")) {
      plans.add(catalog.plan(v.trim()));
    }
    return plans;
  }

  static JobSettings settings(ParameterTool params) {
    return new JobSettings(
        required(params, "kafka", "FRESHET_KAFKA"),
        params.get("group-id", "freshet-features"),
        JobSettings.StartingOffsets.valueOf(
            params.get("starting-offsets", "committed").toUpperCase(Locale.ROOT)),
        required(params, "pg-url", "FRESHET_PG_URL"),
        required(params, "redis-url", "FRESHET_REDIS_URL"),
        params.getLong("checkpoint-interval", 5000),
        params.getInt("max-buffered-rows", 5000),
        params.get("rejected-events-topic"));
  }

  private static String required(ParameterTool params, String flag, String env) {
    String v = params.get(flag, System.getenv(env));
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(
          "missing --"
              + flag
              + " (or environment variable "
              + env
              + "); arguments were "
              + Arrays.toString(params.toMap().keySet().toArray()));
    }
    return v;
  }
}
