package io.freshet.flink;

import io.freshet.flink.compile.BackfillCompiler;
import io.freshet.flink.compile.BackfillSource;
import io.freshet.flink.job.BackfillJobArguments;
import io.freshet.flink.job.JobContract;
import io.freshet.flink.source.PostgresEvents;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.minicluster.RpcServiceSharing;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.util.ParameterTool;

/**
 * Runs views over historical events in batch mode, writing the offline table (and with {@code
 * --online} the online table). Its arguments are {@link BackfillJobArguments}; its name is {@link
 * JobContract#backfillJobName(List)}.
 *
 * <p>With {@code --local-rest-file} it runs in a local Flink of its own whose REST endpoint listens
 * on a free loopback port, as a cluster's does, so that {@code freshet backfill} reads the same
 * metrics of a local run as of a run on a cluster. After the job ends the endpoint stays up until
 * the command deleted the file (it has read the final counts by then), at most {@link #LINGER}.
 */
public final class BackfillJob {
  /** How long a local run's REST endpoint outlives the job at most, for the final metrics. */
  static final Duration LINGER = Duration.ofMinutes(1);

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
    String name = JobContract.backfillJobName(plans.stream().map(ViewPlan::name).toList());
    if (arguments.localRestFile() == null) {
      env.execute(name);
    } else {
      runWithRestEndpoint(env, name, Path.of(arguments.localRestFile()));
    }
  }

  /**
   * Runs the job in a MiniCluster configured as a local environment configures its own (one
   * TaskManager with a slot per unit of the job's greatest parallelism), with its REST endpoint on
   * a free loopback port, published in {@code restFile}.
   */
  private static void runWithRestEndpoint(
      StreamExecutionEnvironment env, String name, Path restFile) throws Exception {
    StreamGraph graph = env.getStreamGraph();
    graph.setJobName(name);
    JobGraph job = graph.getJobGraph();
    Configuration conf = new Configuration();
    conf.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.BATCH);
    conf.set(RestOptions.ADDRESS, "127.0.0.1");
    conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    conf.set(RestOptions.BIND_PORT, "0");
    // the REST endpoint's metrics of running tasks are this fresh (the default is 10 s)
    conf.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofMillis(500));
    MiniClusterConfiguration config =
        new MiniClusterConfiguration.Builder()
            .setConfiguration(conf)
            .setNumTaskManagers(1)
            .setRpcServiceSharing(RpcServiceSharing.SHARED)
            .setNumSlotsPerTaskManager(Math.max(1, job.getMaximumParallelism()))
            .build();
    try (MiniCluster cluster = new MiniCluster(config)) {
      cluster.start();
      URI rest = cluster.getRestAddress().get();
      Path tmp = restFile.resolveSibling(restFile.getFileName() + ".tmp");
      Files.writeString(tmp, rest.toString(), StandardCharsets.UTF_8);
      Files.move(tmp, restFile, StandardCopyOption.ATOMIC_MOVE);
      try {
        cluster.executeJobBlocking(job);
      } finally {
        long deadline = System.nanoTime() + LINGER.toNanos();
        while (Files.exists(restFile) && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
      }
    }
  }
}
