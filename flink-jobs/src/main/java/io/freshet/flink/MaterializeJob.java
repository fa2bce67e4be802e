package io.freshet.flink;

import io.freshet.flink.materialize.Materializer;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ParameterTool;

/**
 * Loads one table-sourced view into its offline history and online table ({@link Materializer}).
 * Arguments: {@code --view V --pg-url URL [--redis-url URL] [--from MS] [--to MS]}, bounds in epoch
 * milliseconds. Prints one line, {@code loaded N rows of V stamped in (FROM, TO]} with ISO-8601
 * instants, when the load is done and recorded.
 */
public final class MaterializeJob {
  private MaterializeJob() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = ParameterTool.fromArgs(args).toMap();
    String view = require(a, "view");
    String pg = require(a, "pg-url");
    ViewPlan plan = Catalog.load(MaterializeJob.class.getClassLoader()).plan(view);
    Materializer.Load load =
        Materializer.run(
            plan,
            pg,
            a.get("redis-url"),
            a.containsKey("from") ? Long.valueOf(a.get("from")) : null,
            a.containsKey("to") ? Long.valueOf(a.get("to")) : null,
            StreamExecutionEnvironment::getExecutionEnvironment);
    System.out.printf(
        "loaded %d rows of %s stamped in (%s, %s]%n",
        load.rows(),
        load.view(),
        load.from() == null ? "the beginning" : java.time.Instant.ofEpochMilli(load.from()),
        java.time.Instant.ofEpochMilli(load.to()));
  }

  private static String require(Map<String, String> a, String name) {
    String v = a.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("missing argument --" + name);
    }
    return v;
  }
}
