package io.freshet.deploy.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.deploy.flink.ClusterOverview;
import io.freshet.deploy.flink.FlinkRestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local stack's child JVMs for real: a KRaft broker and a Flink session cluster from the
 * classpaths Maven copied, the REST API and web UI, and nothing left running after close.
 */
class LocalStackIT {
  @TempDir Path work;

  @Test
  void starts_kafka_and_a_flink_session_cluster_then_leaves_no_process_behind() throws Exception {
    Installation installation = Installation.fromSystemProperties();
    List<ChildJvm> processes = new ArrayList<>();
    KafkaBroker broker = null;
    FlinkSessionCluster cluster = null;
    try {
      broker = KafkaBroker.start(installation.kafkaClasspath(), work, Ports.free());
      processes.add(broker.process());
      broker.createTopic("user-events", 2);
      assertThat(partitions(broker.bootstrapServers(), "user-events")).isEqualTo(2);

      int restPort = Ports.free();
      cluster =
          FlinkSessionCluster.start(
              installation.flinkClasspath(),
              work,
              FlinkClusterConfig.local(restPort, Ports.free(), work.resolve("flink/data")));
      processes.addAll(cluster.processes());
      FlinkRestClient rest = cluster.rest();

      ClusterOverview overview = rest.overview();
      assertThat(overview.taskManagers()).isEqualTo(1);
      assertThat(overview.slotsTotal()).isEqualTo(2);
      assertThat(overview.flinkVersion()).startsWith("2.2");

      String jobManagerConfig = get(rest.baseUri().resolve("/jobmanager/config"));
      assertThat(jobManagerConfig)
          .contains("\"key\":\"state.backend.type\",\"value\":\"rocksdb\"")
          .contains("\"key\":\"execution.checkpointing.incremental\",\"value\":\"true\"");
      assertThat(get(rest.baseUri().resolve("/"))).containsIgnoringCase("flink");

      String jarId = rest.uploadJar(smallJar());
      assertThat(jarId).endsWith("_hello.jar");
      assertThat(rest.jarIds()).contains(jarId);
      rest.deleteJar(jarId);
      assertThat(rest.jarIds()).doesNotContain(jarId);
    } finally {
      if (cluster != null) {
        cluster.close();
      }
      if (broker != null) {
        broker.close();
      }
    }
    assertThat(processes).hasSize(3);
    for (ChildJvm p : processes) {
      assertThat(p.isAlive()).as("%s alive after close", p).isFalse();
      assertThat(ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false))
          .as("%s alive after close", p)
          .isFalse();
    }
    assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive))
        .as("child processes of the test JVM")
        .isEmpty();
  }

  private static int partitions(String bootstrap, String topic) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      TopicDescription d =
          admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
      return d.partitions().size();
    }
  }

  private static String get(URI uri) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET %s", uri).isEqualTo(200);
    return r.body();
  }

  private Path smallJar() throws Exception {
    Path jar = work.resolve("hello.jar");
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "hello.Main");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
      out.flush();
    }
    return jar;
  }
}
