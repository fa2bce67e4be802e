package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.examples.UserActivity;
import io.freshet.flink.job.JobContract;
import io.freshet.plan.ViewPlan;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What {@code freshet submit} and {@code freshet backfill} settle before touching a cluster. */
class SubmitCommandTest {
  @Test
  void the_job_gets_the_arguments_of_the_feature_job_contract() {
    SubmitCommand submit = new SubmitCommand(Map.of());
    new CommandLine(submit)
        .parseArgs(
            "--views",
            "user_activity",
            "--checkpoint-interval",
            "30s",
            "--starting-offsets",
            "EARLIEST",
            "--group-id",
            "g1");
    assertThat(
            submit.jobArgs(
                List.of(ViewPlan.of(UserActivity.view())),
                new Setting("k:9092", "--kafka"),
                new Setting("jdbc:postgresql://h/db", "--pg-url"),
                new Setting("redis://h:6379", "--redis-url")))
        .containsExactly(
            "--views",
            "user_activity",
            "--kafka",
            "k:9092",
            "--pg-url",
            "jdbc:postgresql://h/db",
            "--redis-url",
            "redis://h:6379",
            "--checkpoint-interval",
            "30000",
            "--starting-offsets",
            "earliest",
            "--group-id",
            "g1");
  }

  @Test
  void reads_the_views_of_a_job_from_its_name() {
    assertThat(JobContract.viewsOfJob("freshet: user_activity,user_activity_live"))
        .containsExactly("user_activity", "user_activity_live");
    assertThat(JobContract.viewsOfJob("freshet backfill: user_activity")).isEmpty();
    assertThat(JobContract.viewsOfJob("WordCount")).isEmpty();
  }

  @Test
  void an_upgrade_reads_the_versions_of_window_and_tile_operators_alike() {
    ViewPlan windows = ViewPlan.of(UserActivity.view());
    ViewPlan tiles = ViewPlan.of(UserActivity.liveView());
    // as Flink names chained vertices: the operators' names joined by " -> "
    List<io.freshet.deploy.flink.JobDetails.Vertex> vertices =
        List.of(
            new io.freshet.deploy.flink.JobDetails.Vertex(
                JobContract.sourceName(windows) + " -> " + JobContract.decodeName(windows),
                "RUNNING",
                1),
            new io.freshet.deploy.flink.JobDetails.Vertex(
                JobContract.windowsName(windows) + " -> " + JobContract.offlineSinkName(windows),
                "RUNNING",
                1),
            new io.freshet.deploy.flink.JobDetails.Vertex(
                JobContract.tilesName(tiles) + " -> " + JobContract.tileSinkName(tiles),
                "RUNNING",
                1));
    assertThat(UpgradePlan.versionsOf(vertices))
        .containsExactly(
            Map.entry("user_activity", windows.versionTag()),
            Map.entry("user_activity_live", tiles.versionTag()));
  }

  @Test
  void submit_says_when_each_view_shows_an_event() {
    ViewPlan windows = ViewPlan.of(UserActivity.view());
    ViewPlan tiles = ViewPlan.of(UserActivity.liveView());
    assertThat(SubmitCommand.servingNote(List.of(windows), java.time.Duration.ofSeconds(10)))
        .isEmpty();
    assertThat(SubmitCommand.servingNote(List.of(windows, tiles), java.time.Duration.ofSeconds(1)))
        .isEqualTo(
            "Served at request time: user_activity_live (tiles of 1m), an event counts at the"
                + " gateway after the next checkpoint (within 1s and the checkpoint's own time);"
                + " user_activity once the event's window closes.\n");
  }

  @Test
  void upgrade_takes_its_savepoint_from_the_running_job() {
    Cli.Result r =
        Cli.runWithEnv(
            Map.of(), "submit", "--views", "user_activity", "--upgrade", "--savepoint", "file:/sp");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "freshet submit: --upgrade takes its savepoint from the running job; leave out"
                + " --savepoint file:/sp");
  }

  @Test
  void a_cluster_must_be_named() {
    Cli.Result r = Cli.runWithEnv(Map.of(), "submit", "--views", "user_activity");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "freshet submit: say which Flink cluster to submit to: --flink"
                + " http://<jobmanager>:8081 or FRESHET_FLINK");
  }

  @Test
  void the_environment_names_the_cluster_and_kafka_when_flags_do_not() {
    Cli.Result r =
        Cli.runWithEnv(
            Map.of("FRESHET_FLINK", "localhost:8081"), "submit", "--views", "user_activity");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "freshet submit: FRESHET_FLINK is 'localhost:8081', not the URL of a Flink REST API");

    Cli.Result noKafka =
        Cli.runWithEnv(
            Map.of("FRESHET_FLINK", "http://localhost:8081"), "submit", "--views", "user_activity");
    assertThat(noKafka.exitCode()).isEqualTo(2);
    assertThat(noKafka.err()).contains("say which Kafka the job reads");
  }

  @Test
  void topic_settings_need_create_topics() {
    Cli.Result r =
        Cli.runWithEnv(Map.of(), "submit", "--views", "user_activity", "--partitions", "4");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "freshet submit: --partitions applies to the topics --create-topics creates; add"
                + " --create-topics");

    Cli.Result both =
        Cli.runWithEnv(
            Map.of(), "submit", "--views", "user_activity", "--create-topics", "--no-topic-check");
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).contains("leave out --no-topic-check");

    Cli.Result zero =
        Cli.runWithEnv(
            Map.of(),
            "submit",
            "--views",
            "user_activity",
            "--create-topics",
            "--replication-factor",
            "0");
    assertThat(zero.exitCode()).isEqualTo(2);
    assertThat(zero.err()).contains("--replication-factor must be at least 1, got 0");
  }

  @Test
  void a_table_sourced_view_is_refused_with_what_loads_it() {
    Cli.Result r =
        Cli.runWithEnv(
            Map.of(),
            "submit",
            "--views",
            "user_profile",
            "--flink",
            "http://127.0.0.1:1",
            "--kafka",
            "k:9092");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "freshet submit: view 'user_profile' reads table freshet_examples.user_profile, not"
                + " Kafka: load it with `freshet materialize --view user_profile` instead");
  }

  @Test
  void an_unknown_view_is_refused_before_anything_is_contacted() {
    Cli.Result r =
        Cli.runWithEnv(
            Map.of(),
            "submit",
            "--views",
            "user_activty",
            "--flink",
            "http://127.0.0.1:1",
            "--kafka",
            "k:9092");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "freshet submit: unknown feature view 'user_activty': the bundled examples define"
                + " [user_activity, user_activity_live, user_lifetime, user_profile] (name your own jar with --definitions)");
  }

  @Test
  void backfill_needs_a_source_of_history() {
    Cli.Result r = Cli.runWithEnv(Map.of(), "backfill", "--views", "user_activity");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "freshet backfill: say where the history is: --input events.jsonl, or --kafka"
                + " <bootstrap> --to <instant> [--from <instant>]");

    Cli.Result both =
        Cli.runWithEnv(
            Map.of(),
            "backfill",
            "--views",
            "user_activity",
            "--input",
            "e.jsonl",
            "--to",
            "2026-11-01T00:00:00Z");
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).contains("give one or the other");

    Cli.Result badRange =
        Cli.runWithEnv(
            Map.of("FRESHET_KAFKA", "k:9092"),
            "backfill",
            "--views",
            "user_activity",
            "--from",
            "2026-11-02T00:00:00Z",
            "--to",
            "2026-11-01T00:00:00Z");
    assertThat(badRange.exitCode()).isEqualTo(2);
    assertThat(badRange.err())
        .contains(
            "--from 2026-11-02T00:00:00Z is not before --to 2026-11-01T00:00:00Z: the range"
                + " would be empty");
  }
}
