package io.freshet.deploy.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class StackPiecesTest {
  @Test
  void free_ports_come_from_below_the_ephemeral_range_and_can_be_bound() throws Exception {
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    for (int i = 0; i < 40; i++) {
      int port = Ports.free();
      assertThat(port).isBetween(Ports.LOW, Ports.HIGH);
      try (java.net.ServerSocket s = new java.net.ServerSocket(port)) {
        assertThat(s.getLocalPort()).isEqualTo(port);
      }
      seen.add(port);
    }
    assertThat(seen).hasSizeGreaterThan(30);
  }

  @Test
  void kafka_is_one_combined_node_with_single_replica_internal_topics() {
    String p = KafkaBroker.serverProperties(9092, 9093, Path.of("/data/kafka"));
    assertThat(p.lines())
        .contains(
            "process.roles=broker,controller",
            "controller.quorum.voters=1@127.0.0.1:9093",
            "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
            "advertised.listeners=PLAINTEXT://127.0.0.1:9092",
            "log.dirs=/data/kafka",
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1");
  }

  @Test
  void a_child_jvm_runs_under_the_watchdog_with_this_process_as_parent() {
    List<String> cmd =
        ChildJvm.command(Path.of("/opt/lib"), List.of("-Xmx1g"), "kafka.Kafka", List.of("a.conf"));
    assertThat(cmd.get(0)).endsWith("/bin/java");
    assertThat(cmd.subList(1, cmd.size()))
        .containsExactly(
            "-Xmx1g",
            "-cp",
            "/opt/lib/*",
            "io.freshet.deploy.watchdog.ParentWatchdog",
            Long.toString(ProcessHandle.current().pid()),
            "kafka.Kafka",
            "a.conf");
  }

  @Test
  void a_taken_port_names_the_flag_that_changes_it() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      assertThatThrownBy(() -> Ports.requireFree(port, "the Flink web UI", "--flink-ui-port"))
          .isInstanceOf(StackException.class)
          .hasMessage(
              "port "
                  + port
                  + " for the Flink web UI is already in use (is another Flink, gateway or"
                  + " `freshet demo` running?): stop that process or choose another port with"
                  + " --flink-ui-port <port>");
    }
  }

  @Test
  void a_free_port_passes() {
    int port = Ports.free();
    Ports.requireFree(port, "the gateway", "--port");
  }

  @Test
  void tail_keeps_the_last_lines() {
    assertThat(ChildJvm.tail("a\nb\nc\nd\n", 2)).isEqualTo("c\nd");
    assertThat(ChildJvm.tail("a", 5)).isEqualTo("a");
  }

  @Test
  void a_missing_classpath_says_how_to_build_it() {
    Installation i = new Installation(Path.of("/nonexistent/checkout"));
    assertThatThrownBy(i::flinkClasspath)
        .isInstanceOf(StackException.class)
        .hasMessage(
            "the Flink classpath is missing or incomplete"
                + " (/nonexistent/checkout/deploy/flink-runtime/target/lib):"
                + " build it with deploy/bin/freshet build");
    assertThatThrownBy(i::jobJar).hasMessageContaining("--job-jar");
  }
}
