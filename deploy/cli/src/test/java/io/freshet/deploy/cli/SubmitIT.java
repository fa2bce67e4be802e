package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.definitions.DefinitionsJars;
import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.deploy.flink.JobSummary;
import io.freshet.deploy.stack.FlinkClusterConfig;
import io.freshet.deploy.stack.FlinkSessionCluster;
import io.freshet.deploy.stack.Installation;
import io.freshet.deploy.stack.KafkaBroker;
import io.freshet.deploy.stack.Ports;
import io.freshet.examples.UserActivity;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code freshet submit} against a real session cluster and broker from the copied classpaths: the
 * real job jar runs, then {@code --upgrade} stops it with a savepoint and the new job restores it;
 * a user's definitions jar runs too, and after a change of its view's meaning {@code --upgrade}
 * starts the new version from fresh state.
 */
class SubmitIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int REDIS_DB = 12;

  @TempDir Path work;

  @Test
  void submits_the_job_then_upgrades_it_through_a_savepoint() throws Exception {
    Installation installation = Installation.fromSystemProperties();
    String pgUrl = TestPostgres.freshDatabase("cli_submit");
    String redisUrl = TestRedis.uri(REDIS_DB);
    KafkaBroker broker = null;
    FlinkSessionCluster cluster = null;
    try {
      broker = KafkaBroker.start(installation.kafkaClasspath(), work, Ports.free());
      broker.createTopic(UserActivity.TOPIC, 2);
      cluster =
          FlinkSessionCluster.start(
              installation.flinkClasspath(),
              work,
              FlinkClusterConfig.local(Ports.free(), Ports.free(), work.resolve("flink/data")));
      FlinkRestClient rest = cluster.rest();
      String flink = rest.baseUri().toString();
      List<String> common =
          List.of(
              "--views",
              "user_activity",
              "--flink",
              flink,
              "--kafka",
              broker.bootstrapServers(),
              "--pg-url",
              pgUrl,
              "--redis-url",
              redisUrl,
              "--checkpoint-interval",
              "2s",
              "--timeout",
              "90s");

      assertThat(Cli.run("apply", "--pg-url", pgUrl).exitCode()).isZero();

      Cli.Result submitted = submit(common);
      assertThat(submitted.exitCode()).as(submitted.toString()).isZero();
      JobSummary first = runningJob(rest);
      assertThat(submitted.out())
          .contains(first.id() + " \"freshet: user_activity\" RUNNING, no state to restore");

      Cli.Result twice = submit(common);
      assertThat(twice.exitCode()).as(twice.toString()).isEqualTo(1);
      assertThat(twice.err())
          .contains("job " + first.id() + " \"freshet: user_activity\" (RUNNING) already runs")
          .contains("--upgrade");

      String savepointDir = work.resolve("savepoints").toUri().toString();
      Cli.Result upgraded = submit(common, "--upgrade", "--savepoint-dir", savepointDir);
      assertThat(upgraded.exitCode()).as(upgraded.toString()).isZero();
      // the new job started at its first attempt (a restart would be noted with its reason)
      assertThat(upgraded.out()).doesNotContain("note: the job runs after");
      Matcher sp = Pattern.compile("(?m)^  savepoint\\s+(\\S+)$").matcher(upgraded.out());
      assertThat(sp.find()).as(upgraded.out()).isTrue();
      String savepoint = sp.group(1);
      assertThat(savepoint).contains("savepoints/savepoint-");

      JobSummary second = runningJob(rest);
      assertThat(second.id()).isNotEqualTo(first.id());
      assertThat(rest.job(first.id()).state()).isEqualTo("FINISHED");
      assertThat(upgraded.out())
          .contains("job " + first.id() + " \"freshet: user_activity\" FINISHED")
          .contains(second.id() + " \"freshet: user_activity\" RUNNING, restored from savepoint")
          .contains(
              "user_activity (version "
                  + ViewPlan.of(UserActivity.view()).versionTag()
                  + "): same meaning, window state and Kafka offsets carried over");

      JsonNode restored =
          get(URI.create(flink + "/jobs/" + second.id() + "/checkpoints"))
              .path("latest")
              .path("restored");
      assertThat(restored.path("is_savepoint").asBoolean()).as(restored.toString()).isTrue();
      assertThat(restored.path("external_path").asText()).isEqualTo(savepoint);

      rest.cancelAndWait(second.id(), Duration.ofSeconds(60));

      // A user's jar runs on the cluster; then its view's meaning changes, and --upgrade starts the
      // new version from fresh state while the savepoint keeps the old one.
      Path jar =
          DefinitionsJars.build(
              work,
              "count-only.jar",
              Map.of(DefinitionsJars.COUNT_ONLY_CLASS, DefinitionsJars.COUNT_ONLY_SOURCE),
              DefinitionsJars.COUNT_ONLY_CLASS + "\n");
      Cli.Result applied = Cli.run("apply", "--definitions", jar.toString(), "--pg-url", pgUrl);
      assertThat(applied.out()).contains("~ user_activity: changed, version 1 -> 2");
      Cli.Result custom = submit(common, "--definitions", jar.toString());
      assertThat(custom.exitCode()).as(custom.toString()).isZero();
      assertThat(custom.out())
          .contains("freshet-job-with-count-only.jar (the job jar with count-only.jar) uploaded");
      JobSummary third = runningJob(rest);
      String customTag = Definitions.fromJar(jar).catalog().plan("user_activity").versionTag();
      assertThat(rest.job(third.id()).vertices())
          .anyMatch(v -> v.name().contains("windows: user_activity@" + customTag));

      assertThat(Cli.run("apply", "--pg-url", pgUrl).out())
          .contains("~ user_activity: changed, version 2 -> back to version 1");
      Cli.Result newVersion = submit(common, "--upgrade");
      assertThat(newVersion.exitCode()).as(newVersion.toString()).isZero();
      assertThat(newVersion.out())
          .contains(
              "user_activity runs as version 2 (tag "
                  + customTag
                  + ", served at window ends), these definitions are version 1 (tag "
                  + ViewPlan.of(UserActivity.view()).versionTag()
                  + ", served at window ends): meaning changed, so this is a new view version");
      JobSummary fourth = runningJob(rest);
      assertThat(fourth.id()).isNotEqualTo(third.id());
      assertThat(rest.job(fourth.id()).vertices())
          .anyMatch(
              v ->
                  v.name()
                      .contains(
                          "windows: user_activity@"
                              + ViewPlan.of(UserActivity.view()).versionTag()));
      rest.cancelAndWait(fourth.id(), Duration.ofSeconds(60));
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
    List<String> args = new java.util.ArrayList<>(List.of("submit"));
    args.addAll(common);
    args.addAll(List.of(more));
    return Cli.run(args.toArray(String[]::new));
  }

  private static JobSummary runningJob(FlinkRestClient rest) {
    List<JobSummary> running =
        rest.jobs().stream().filter(j -> "RUNNING".equals(j.state())).toList();
    assertThat(running).hasSize(1);
    return running.get(0);
  }

  private static JsonNode get(URI uri) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET %s: %s", uri, r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }
}
