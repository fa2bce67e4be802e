package io.freshet.flink.compile;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.examples.UserActivity;
import io.freshet.plan.ViewPlan;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/**
 * The job compiled for the example view, described operator by operator (name, uid, inputs and how
 * records reach them), against a checked-in description: a change to the graph, its uids or its
 * partitioning shows up here and must be deliberate, since uids carry state across redeploys.
 */
class CompiledPlanGoldenTest {

  @Test
  void example_view_compiles_to_the_golden_job_graph() throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    JobSettings settings =
        new JobSettings(
            "kafka:9092",
            "freshet-features",
            JobSettings.StartingOffsets.COMMITTED,
            "jdbc:postgresql://pg/freshet",
            "redis://redis:6379",
            5000,
            5000);
    FeatureJobCompiler.compile(env, List.of(ViewPlan.of(UserActivity.view())), settings);
    String golden;
    try (InputStream in = getClass().getResourceAsStream("/golden/user_activity.job.txt")) {
      golden = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(describe(env.getStreamGraph())).isEqualTo(golden);
  }

  static String describe(StreamGraph graph) {
    StringBuilder sb = new StringBuilder();
    List<StreamNode> nodes =
        graph.getStreamNodes().stream().sorted(Comparator.comparingInt(StreamNode::getId)).toList();
    for (StreamNode n : nodes) {
      sb.append(n.getOperatorName()).append("  [uid ").append(n.getTransformationUID()).append(']');
      sb.append('\n');
      for (StreamEdge e : n.getInEdges()) {
        StreamNode from = graph.getStreamNode(e.getSourceId());
        sb.append("    <- ").append(from.getOperatorName());
        sb.append(" (").append(e.getPartitioner());
        if (e.getOutputTag() != null) {
          sb.append(", side output ").append(e.getOutputTag().getId());
        }
        sb.append(")\n");
      }
    }
    return sb.toString();
  }
}
