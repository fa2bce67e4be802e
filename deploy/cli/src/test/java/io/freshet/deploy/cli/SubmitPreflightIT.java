package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.deploy.definitions.DefinitionsJars;
import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.deploy.flink.JobSummary;
import io.freshet.deploy.stack.FlinkClusterConfig;
import io.freshet.deploy.stack.FlinkSessionCluster;
import io.freshet.deploy.stack.Installation;
import io.freshet.deploy.stack.KafkaBroker;
import io.freshet.deploy.stack.Ports;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code freshet submit} checks before it uploads anything, and how it treats a job that
 * cannot start, against a real broker and a real session cluster (one TaskManager, 2 slots): a
 * missing topic is named with the flag that creates it, {@code --create-topics} creates it, a
 * parallelism above the free slots is refused with the numbers, and a job that fails while starting
 * is cancelled with Flink's reason instead of being left restarting.
 */
class SubmitPreflightIT {
  private static final int REDIS_DB = 13;
  private static final String TOPIC = "clicks"; // DefinitionsJars.CLICKS_SOURCE reads it
  private static final String FAILURE = "the test job cannot start: its operator's open() fails";

  @TempDir Path work;

  @Test
  void refuses_what_would_not_run_and_cancels_a_job_that_fails_at_start() throws Exception {
    Installation installation = Installation.fromSystemProperties();
    String pgUrl = TestPostgres.freshDatabase("cli_preflight");
    String redisUrl = TestRedis.uri(REDIS_DB);
    KafkaBroker broker = null;
    FlinkSessionCluster cluster = null;
    try {
      broker = KafkaBroker.start(installation.kafkaClasspath(), work, Ports.free());
      cluster =
          FlinkSessionCluster.start(
              installation.flinkClasspath(),
              work,
              FlinkClusterConfig.local(Ports.free(), Ports.free(), work.resolve("flink/data")));
      FlinkRestClient rest = cluster.rest();
      String bootstrap = broker.bootstrapServers();
      Path jar =
          DefinitionsJars.build(
              work,
              "clicks.jar",
              Map.of(DefinitionsJars.CLICKS_CLASS, DefinitionsJars.CLICKS_SOURCE),
              DefinitionsJars.CLICKS_CLASS + "\n");
      Cli.Result applied = Cli.run("apply", "--definitions", jar.toString(), "--pg-url", pgUrl);
      assertThat(applied.exitCode()).as(applied.toString()).isZero();
      List<String> common =
          List.of(
              "--definitions",
              jar.toString(),
              "--views",
              "page_clicks",
              "--flink",
              rest.baseUri().toString(),
              "--kafka",
              bootstrap,
              "--pg-url",
              pgUrl,
              "--redis-url",
              redisUrl,
              "--checkpoint-interval",
              "2s",
              "--timeout",
              "90s");

      // the view's topic does not exist: named, with the flag that creates it; nothing uploaded
      Cli.Result noTopic = submit(common);
      assertThat(noTopic.exitCode()).as(noTopic.toString()).isEqualTo(1);
      assertThat(noTopic.err())
          .contains(
              "topic 'clicks' (view page_clicks) does not exist on "
                  + bootstrap
                  + " (from --kafka), and the job would fail and restart until it does. Nothing"
                  + " was uploaded. Add --create-topics to create it (1 partition and"
                  + " replication factor 1;");
      assertThat(topics(bootstrap)).doesNotContain(TOPIC);
      assertThat(rest.jarIds()).isEmpty();
      assertThat(rest.jobs()).isEmpty();

      // more parallelism than free slots: refused with the numbers, before any topic is created
      Cli.Result tooWide = submit(common, "--parallelism", "3", "--create-topics");
      assertThat(tooWide.exitCode()).as(tooWide.toString()).isEqualTo(1);
      assertThat(tooWide.err())
          .contains(
              "not enough task slots on "
                  + rest.baseUri()
                  + " for the job: needed 3 (--parallelism 3), free 2, total 2 (1 TaskManager)."
                  + " Nothing was uploaded.")
          .contains("or ask for fewer with --parallelism 2");
      assertThat(topics(bootstrap)).doesNotContain(TOPIC);
      assertThat(rest.jobs()).isEmpty();

      // --create-topics creates the topic as asked, and the job runs on it
      Cli.Result created =
          submit(common, "--parallelism", "1", "--create-topics", "--partitions", "3");
      assertThat(created.exitCode()).as(created.toString()).isZero();
      assertThat(created.out())
          .contains("created topic 'clicks' (3 partitions, replication factor 1)")
          .contains("\"freshet: page_clicks\" RUNNING");
      TopicDescription clicks = describe(bootstrap, TOPIC);
      assertThat(clicks.partitions()).hasSize(3);
      assertThat(clicks.partitions().get(0).replicas()).hasSize(1);
      JobSummary running = single(rest, "RUNNING");

      // the running job holds one slot: two more are refused, with who holds it
      Cli.Result busy = submit(common, "--upgrade", "--parallelism", "3");
      assertThat(busy.exitCode()).as(busy.toString()).isEqualTo(1);
      assertThat(busy.err())
          .contains(
              "needed 3 (--parallelism 3), free 2 (counting the 1 of the job --upgrade replaces),"
                  + " total 2 (1 TaskManager");
      assertThat(single(rest, "RUNNING").id()).isEqualTo(running.id());
      rest.cancelAndWait(running.id(), Duration.ofSeconds(60));

      // a job that fails while it starts is cancelled, with Flink's reason, well before --timeout
      Path failing = failingJobJar(installation, work);
      Cli.Result failed = submit(common, "--job-jar", failing.toString());
      assertThat(failed.exitCode()).as(failed.toString()).isEqualTo(1);
      assertThat(failed.out()).contains("topic 'clicks' exists");
      assertThat(failed.err())
          .contains("\"freshet: page_clicks\" failed while starting (state ")
          .contains("Flink's reason")
          .contains("java.lang.IllegalStateException: " + FAILURE)
          .contains("The job was cancelled rather than left restarting.");
      assertThat(rest.jobs()).noneMatch(JobSummary::isActive);
      assertThat(rest.jobs())
          .filteredOn(j -> !j.id().equals(running.id()))
          .singleElement()
          .extracting(JobSummary::state)
          .isEqualTo("CANCELED");
    } finally {
      if (cluster != null) {
        cluster.close();
      }
      if (broker != null) {
        broker.close();
      }
    }
  }

  private static Cli.Result submit(List<String> common, String... more) {
    List<String> args = new ArrayList<>(List.of("submit"));
    args.addAll(common);
    args.addAll(List.of(more));
    return Cli.run(args.toArray(String[]::new));
  }

  private static JobSummary single(FlinkRestClient rest, String state) {
    List<JobSummary> jobs = rest.jobs().stream().filter(j -> state.equals(j.state())).toList();
    assertThat(jobs).hasSize(1);
    return jobs.get(0);
  }

  private static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Admin.create(p);
  }

  private static java.util.Set<String> topics(String bootstrap) throws Exception {
    try (Admin admin = admin(bootstrap)) {
      return admin.listTopics().names().get(30, TimeUnit.SECONDS);
    }
  }

  private static TopicDescription describe(String bootstrap, String topic) throws Exception {
    try (Admin admin = admin(bootstrap)) {
      return admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(30, TimeUnit.SECONDS)
          .get(topic);
    }
  }

  /**
   * The real job jar with its entry class replaced by a job whose one operator throws in {@code
   * open()}, with checkpointing on, so Flink's default restart strategy restarts it forever. The
   * DSL classes stay the real jar's, so submit's check of the definitions passes.
   */
  private static Path failingJobJar(Installation installation, Path work) throws Exception {
    Path src = Files.createDirectories(work.resolve("failing-src/io/freshet/flink"));
    Path source = src.resolve("FeatureJob.java");
    Files.writeString(
        source,
        """
        package io.freshet.flink;

        import org.apache.flink.api.common.functions.OpenContext;
        import org.apache.flink.api.common.functions.RichMapFunction;
        import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
        import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

        public final class FeatureJob {
          public static void main(String[] args) throws Exception {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.enableCheckpointing(1000);
            env.fromSequence(0, Long.MAX_VALUE)
                .map(new FailsAtStart())
                .sinkTo(new DiscardingSink<>());
            env.execute("freshet: page_clicks");
          }

          public static final class FailsAtStart extends RichMapFunction<Long, Long> {
            @Override
            public void open(OpenContext context) {
              throw new IllegalStateException("%s");
            }

            @Override
            public Long map(Long value) {
              return value;
            }
          }
        }
        """
            .formatted(FAILURE));
    Path classes = Files.createDirectories(work.resolve("failing-classes"));
    List<String> cp;
    try (Stream<Path> jars = Files.list(installation.flinkClasspath())) {
      cp = jars.filter(p -> p.toString().endsWith(".jar")).map(Path::toString).toList();
    }
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int rc =
        ToolProvider.getSystemJavaCompiler()
            .run(
                null,
                OutputStream.nullOutputStream(),
                diagnostics,
                "-d",
                classes.toString(),
                "--release",
                "17",
                "-cp",
                String.join(File.pathSeparator, cp),
                source.toString());
    assertThat(rc).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();

    Path jar = work.resolve("failing-job.jar");
    Files.copy(installation.jobJar(), jar, StandardCopyOption.REPLACE_EXISTING);
    try (FileSystem zip = FileSystems.newFileSystem(jar);
        Stream<Path> compiled = Files.walk(classes)) {
      for (Path c : compiled.filter(Files::isRegularFile).toList()) {
        Path to = zip.getPath(classes.relativize(c).toString());
        Files.createDirectories(to.getParent());
        Files.copy(c, to, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return jar;
  }
}
