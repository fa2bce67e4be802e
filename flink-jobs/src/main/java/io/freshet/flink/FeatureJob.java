package io.freshet.flink;

import io.freshet.flink.compile.FeatureJobCompiler;
import io.freshet.flink.compile.JobSettings;
import io.freshet.flink.job.FeatureJobArguments;
import io.freshet.flink.job.JobContract;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ParameterTool;

/**
 * The streaming feature job: the entry class of the job jar. Its arguments are {@link
 * FeatureJobArguments}; its name is {@link JobContract#jobName(List)}.
 */
public final class FeatureJob {
  private FeatureJob() {}

  public static void main(String[] args) throws Exception {
    FeatureJobArguments arguments =
        FeatureJobArguments.parse(ParameterTool.fromArgs(args).toMap(), System.getenv());
    Catalog catalog = Catalog.load(FeatureJob.class.getClassLoader());
    List<ViewPlan> plans = selectViews(catalog, arguments.views());
    JobSettings settings = arguments.settings();

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.enableCheckpointing(settings.checkpointIntervalMillis(), CheckpointingMode.EXACTLY_ONCE);
    FeatureJobCompiler.compile(env, plans, settings);
    env.execute(JobContract.jobName(plans.stream().map(ViewPlan::name).toList()));
  }

  /**
   * The plans of the named views, or every view of the catalog over Kafka when none is named.
   * Table-sourced views are loaded by {@code freshet materialize}, never by the streaming job.
   */
  static List<ViewPlan> selectViews(Catalog catalog, List<String> views) {
    if (views.isEmpty()) {
      return catalog.plans().stream().filter(p -> !p.tableSourced()).toList();
    }
    List<ViewPlan> plans = new ArrayList<>();
    for (String v : views) {
      ViewPlan p = catalog.plan(v);
      if (p.tableSourced()) {
        throw new IllegalArgumentException(
            "feature view '"
                + v
                + "' reads table "
                + p.tableSource().label()
                + ", not Kafka: load it with `freshet materialize --view "
                + v
                + "`, not the streaming job");
      }
      plans.add(p);
    }
    return plans;
  }
}
