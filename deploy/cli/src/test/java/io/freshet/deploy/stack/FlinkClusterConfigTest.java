package io.freshet.deploy.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FlinkClusterConfigTest {
  private final FlinkClusterConfig config =
      FlinkClusterConfig.local(8081, 36123, Path.of("/data/freshet/flink"));

  @Test
  void uses_rocksdb_with_incremental_checkpoints_to_a_local_folder() {
    assertThat(config.toYaml())
        .contains("\nstate.backend.type: rocksdb\n")
        .contains("\nexecution.checkpointing.incremental: true\n")
        .contains("\nexecution.checkpointing.dir: 'file:///data/freshet/flink/checkpoints'\n")
        .contains(
            "\nexecution.checkpointing.savepoint-dir: 'file:///data/freshet/flink/savepoints'\n");
  }

  @Test
  void serves_rest_and_web_ui_on_the_chosen_port_on_loopback() {
    assertThat(config.toYaml())
        .contains("\nrest.port: 8081\n")
        .contains("\nrest.bind-address: localhost\n")
        .contains("\njobmanager.rpc.port: 36123\n")
        .contains("\nweb.submit.enable: true\n")
        .contains("\nweb.upload.dir: /data/freshet/flink/uploads\n");
  }

  @Test
  void one_task_manager_with_two_slots_and_modest_memory() {
    assertThat(config.entries())
        .containsEntry("taskmanager.numberOfTaskSlots", "2")
        .containsEntry("parallelism.default", "1")
        .containsEntry("taskmanager.memory.process.size", "1728m")
        .containsEntry("jobmanager.memory.process.size", "1024m");
  }

  @Test
  void keeps_checkpoints_and_restarts_jobs_without_an_attempt_limit() {
    assertThat(config.entries())
        .containsEntry(
            "execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
        .containsEntry("restart-strategy.type", "exponential-delay")
        .containsEntry("restart-strategy.exponential-delay.max-backoff", "10s")
        .containsEntry(
            "restart-strategy.exponential-delay.attempts-before-reset-backoff", "2147483647");
    assertThat(config.checkpointsDir()).isEqualTo(Path.of("/data/freshet/flink/checkpoints"));
  }

  @Test
  void every_line_is_a_flat_key_and_a_scalar() {
    String yaml = config.toYaml();
    assertThat(yaml.lines().filter(l -> !l.startsWith("#")))
        .allMatch(
            l -> l.matches("[a-z][a-zA-Z0-9.-]*: ('([^']|'')*'|[A-Za-z0-9._/-]+)"), "key: scalar");
  }

  @Test
  void quotes_values_yaml_would_misread() {
    assertThat(FlinkClusterConfig.yamlScalar("1728m")).isEqualTo("1728m");
    assertThat(FlinkClusterConfig.yamlScalar("file:///tmp/x")).isEqualTo("'file:///tmp/x'");
    assertThat(FlinkClusterConfig.yamlScalar("it's: here")).isEqualTo("'it''s: here'");
    assertThat(FlinkClusterConfig.yamlScalar("")).isEqualTo("''");
  }

  @Test
  void rejects_a_cluster_without_slots() {
    assertThatThrownBy(() -> new FlinkClusterConfig(8081, 6123, Path.of("/tmp"), 0, "1g", "1g"))
        .hasMessage("taskSlots must be at least 1, got 0");
  }

  @Test
  void reads_what_bash_java_utils_prints() {
    String output =
        "INFO  some log line\n"
            + "BASH_JAVA_UTILS_EXEC_RESULT:-Xmx536870902 -Xms536870902"
            + " -XX:MaxDirectMemorySize=268435458 -XX:MaxMetaspaceSize=268435456\n"
            + "BASH_JAVA_UTILS_EXEC_RESULT:-D taskmanager.cpu.cores=2.0"
            + " -D taskmanager.memory.managed.size=536870920b\n";
    FlinkSessionCluster.ResourceParams p =
        FlinkSessionCluster.ResourceParams.parse(output, "GET_TM_RESOURCE_PARAMS");
    assertThat(p.jvmArgs())
        .containsExactly(
            "-Xmx536870902",
            "-Xms536870902",
            "-XX:MaxDirectMemorySize=268435458",
            "-XX:MaxMetaspaceSize=268435456");
    assertThat(p.dynamicProperties())
        .containsExactly(
            "-D", "taskmanager.cpu.cores=2.0", "-D", "taskmanager.memory.managed.size=536870920b");
  }

  @Test
  void says_what_bash_java_utils_printed_when_results_are_missing() {
    assertThatThrownBy(
            () ->
                FlinkSessionCluster.ResourceParams.parse(
                    "Exception in thread main: bad config\n", "GET_TM_RESOURCE_PARAMS"))
        .isInstanceOf(StackException.class)
        .hasMessageContaining("GET_TM_RESOURCE_PARAMS printed 0 result lines, expected 2")
        .hasMessageContaining("bad config");
  }
}
