package io.freshet.flink.materialize;

import io.freshet.flink.sink.offline.PostgresOfflineSink;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.util.Objects;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.jdbc.core.datastream.source.JdbcSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Compiles the load of a table-sourced view: a bounded job, in batch mode, from a {@link
 * JdbcSource} over the view's {@link TableQuery} to the same exactly-once sink the streaming job
 * and the backfill write through ({@link PostgresOfflineSink}, serving online first when a Redis
 * URL is given, so each version's {@code visible_at} is the instant the online table serves it
 * from).
 *
 * <p>What was checked of {@code flink-connector-jdbc} 4.0.0-2.0 on Flink 2.2.1 (a MiniCluster
 * against Postgres; see {@code JdbcSourceOnFlinkTest}): {@code JdbcSource.builder()} with {@code
 * setDBUrl}, {@code setDriverName}, {@code setSql}, {@code setResultExtractor} and {@code
 * setTypeInformation} builds a FLIP-27 source; without a parameter provider the statement is one
 * split, read by one reader. Its split state is the number of rows read, so a restore from a
 * checkpoint in streaming mode skips them by position in a re-executed statement: correct only
 * while the relation does not change in between, and rows read after the checkpoint come again (at
 * least once). The connector brings no Postgres driver; {@code flink-connector-base} must be on the
 * classpath; the delivery guarantee defaults to NONE and {@code EXACTLY_ONCE} demands a scrollable
 * result set. None of that is relied on here: the job runs in batch mode, where a failure restarts
 * the whole read, and exactly once comes from the sink, whose commit writes a version only when it
 * differs from the entity's current one (offline) and keeps the newest version (online), so a
 * replayed row, in one run or in a rerun of a failed one, adds nothing.
 */
public final class MaterializeCompiler {
  private MaterializeCompiler() {}

  /**
   * Adds the load of {@code plan}'s rows that {@code query} selects to {@code env} and switches it
   * to batch execution.
   *
   * @param redisUrl the online table, or null to write the offline history only
   */
  public static DataStream<FeatureRow> compile(
      StreamExecutionEnvironment env,
      ViewPlan plan,
      TableQuery query,
      String pgUrl,
      String redisUrl) {
    return compile(env, plan, query, pgUrl, redisUrl, null);
  }

  /**
   * As above, with {@code between} applied to the rows before the sink (tests inject failures
   * there); null for none.
   */
  public static DataStream<FeatureRow> compile(
      StreamExecutionEnvironment env,
      ViewPlan plan,
      TableQuery query,
      String pgUrl,
      String redisUrl,
      org.apache.flink.api.common.functions.MapFunction<FeatureRow, FeatureRow> between) {
    Objects.requireNonNull(query, "query");
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    // Each row is a new object; without reuse a chained copy would go through Kryo, which cannot
    // rebuild a row's unmodifiable lists.
    env.getConfig().enableObjectReuse();
    JdbcSource<FeatureRow> source =
        JdbcSource.<FeatureRow>builder()
            .setDBUrl(pgUrl)
            .setDriverName("org.postgresql.Driver")
            .setSql(query.select())
            .setResultExtractor(new TableRowExtractor(query))
            .setTypeInformation(TypeInformation.of(FeatureRow.class))
            .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
            .setResultSetFetchSize(2_000)
            .build();
    DataStream<FeatureRow> rows =
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "table: " + plan.name())
            .uid("materialize-source-" + plan.name() + "-" + plan.versionTag())
            .setParallelism(1);
    if (between != null) {
      rows =
          rows.map(between, TypeInformation.of(FeatureRow.class)).name("between").setParallelism(1);
    }
    PostgresOfflineSink sink = PostgresOfflineSink.exactlyOnce(plan, pgUrl);
    // One chain, source to sink: the read is one split anyway, and rows never cross the network.
    rows.sinkTo(redisUrl == null ? sink : sink.servingOnline(redisUrl))
        .setParallelism(1)
        .name("offline table: " + plan.name())
        .uid("materialize-sink-" + plan.name() + "-" + plan.versionTag());
    return rows;
  }
}
