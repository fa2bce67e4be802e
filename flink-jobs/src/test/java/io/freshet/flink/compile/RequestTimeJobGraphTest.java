package io.freshet.flink.compile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.dsl.FeatureView;
import io.freshet.examples.UserActivity;
import io.freshet.flink.job.JobContract;
import io.freshet.plan.ViewPlan;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/**
 * A job with a request-time view next to a window-end view: the request-time view runs the tile
 * operator and the tile sink under uids of its own, the window-end view compiles exactly as alone,
 * and both views' rejected events reach the one rejected-events sink. Checked against a checked-in
 * description, as {@link CompiledPlanGoldenTest} does for the window-end job.
 */
class RequestTimeJobGraphTest {
  static ViewPlan requestTime() {
    FeatureView v = UserActivity.view();
    return ViewPlan.of(
        new FeatureView.Builder(
                "user_activity_rt",
                v.source(),
                v.features(),
                v.derived(),
                v.ttl(),
                v.availabilityDelay(),
                v.serving())
            .servedAtRequestTime(Duration.ofMinutes(1))
            .build());
  }

  private static JobSettings settings() {
    return new JobSettings(
        "kafka:9092",
        "freshet-features",
        JobSettings.StartingOffsets.COMMITTED,
        "jdbc:postgresql://pg/freshet",
        "redis://redis:6379",
        5000,
        5000);
  }

  @Test
  void request_time_view_compiles_to_tiles_and_the_tile_sink() throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    ViewPlan rt = requestTime();
    FeatureJobCompiler.compile(env, List.of(ViewPlan.of(UserActivity.view()), rt), settings());
    String golden;
    try (InputStream in =
        getClass().getResourceAsStream("/golden/user_activity_request_time.job.txt")) {
      golden = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    var graph = env.getStreamGraph();
    assertThat(CompiledPlanGoldenTest.describe(graph)).isEqualTo(golden);
    List<String> uids =
        graph.getStreamNodes().stream().map(StreamNode::getTransformationUID).toList();
    assertThat(uids).doesNotHaveDuplicates();
    assertThat(JobContract.windowVersions(JobContract.tilesName(rt)))
        .as("the upgrade check reads the tile operator's version")
        .containsEntry("user_activity_rt", rt.versionTag());
  }

  @Test
  void the_window_rows_of_a_request_time_view_are_refused() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    var decoded = FeatureJobCompiler.decode(env.fromData("{}"), requestTime(), "test");
    assertThatThrownBy(() -> FeatureJobCompiler.windows(decoded, requestTime()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is served at request time");
  }
}
