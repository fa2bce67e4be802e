package io.freshet.flink;

import io.freshet.flink.compile.BackfillCompiler;
import io.freshet.flink.compile.BackfillSource;
import io.freshet.flink.job.BackfillJobArguments;
import io.freshet.flink.job.JobContract;
import io.freshet.flink.source.PostgresEvents;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ParameterTool;

/**
 * Runs views over historical events in batch mode, writing the offline table (and with {@code
 * --online} the online table). Its arguments are {@link BackfillJobArguments}; its name is {@link
 * JobContract#backfillJobName(List)}.
 */
public final class BackfillJob {
  private BackfillJob() {}

  public static void main(String[] args) throws Exception {
    BackfillJobArguments arguments =
        BackfillJobArguments.parse(ParameterTool.fromArgs(args).toMap(), System.getenv());
    Catalog catalog = Catalog.load(BackfillJob.class.getClassLoader());
    List<ViewPlan> plans = FeatureJob.selectViews(catalog, arguments.views());
    BackfillSource source;
    if (arguments.input() != null) {
      source = new BackfillSource.JsonLines(arguments.input());
    } else if (arguments.postgres() != null) {
      source =
          new BackfillSource.Postgres(
              arguments.pgUrl(),
              new PostgresEvents(arguments.postgres(), arguments.from(), arguments.to()));
    } else {
      source = new BackfillSource.KafkaRange(arguments.kafka(), arguments.from(), arguments.to());
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    BackfillCompiler.compile(env, plans, source, arguments.pgUrl(), arguments.redisUrl());
    env.execute(JobContract.backfillJobName(plans.stream().map(ViewPlan::name).toList()));
  }
}
