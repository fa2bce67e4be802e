package io.freshet.flink.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.examples.UserActivity;
import io.freshet.flink.compile.JobSettings;
import io.freshet.plan.ViewPlan;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.util.ParameterTool;
import org.junit.jupiter.api.Test;

/**
 * The job contract's strings for the example view against checked-in text: job names, arguments,
 * operator names and uids. Uids carry state across redeploys and the command reads names back, so a
 * change here must be deliberate.
 */
class JobContractGoldenTest {
  private static final ViewPlan PLAN = ViewPlan.of(UserActivity.view());

  private static final FeatureJobArguments STREAMING =
      FeatureJobArguments.of(
              List.of("user_activity", "user_activity_live"),
              "kafka:9092",
              "jdbc:postgresql://pg/freshet",
              "redis://redis:6379")
          .withCheckpointIntervalMillis(30_000)
          .withStartingOffsets(JobSettings.StartingOffsets.EARLIEST)
          .withGroupId("g1")
          .withRejectedEventsTopic("freshet-rejected");

  private static final BackfillJobArguments FROM_FILE =
      new BackfillJobArguments(
          List.of("user_activity"),
          "/data/events.jsonl",
          null,
          null,
          null,
          "jdbc:postgresql://pg/freshet",
          true,
          "redis://redis:6379");

  private static final BackfillJobArguments FROM_KAFKA =
      new BackfillJobArguments(
          List.of("user_activity"),
          null,
          "kafka:9092",
          Instant.parse("2026-11-22T00:00:00Z"),
          Instant.parse("2026-11-23T00:00:00Z"),
          "jdbc:postgresql://pg/freshet",
          false,
          null);

  @Test
  void contract_strings_of_the_example_view_match_the_golden_text() throws IOException {
    String golden;
    try (InputStream in = getClass().getResourceAsStream("/golden/job-contract.txt")) {
      golden = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(describe()).isEqualTo(golden);
  }

  static String describe() {
    StringBuilder sb = new StringBuilder();
    line(sb, "feature job class", JobContract.FEATURE_JOB_CLASS);
    line(sb, "backfill job class", JobContract.BACKFILL_JOB_CLASS);
    line(sb, "job name", JobContract.jobName(STREAMING.views()));
    line(sb, "backfill job name", JobContract.backfillJobName(FROM_FILE.views()));
    line(sb, "feature job arguments", String.join(" ", STREAMING.format()));
    line(
        sb,
        "feature job arguments (defaults)",
        String.join(
            " ",
            FeatureJobArguments.of(List.of("user_activity"), "k:9092", "jdbc:pg", "redis://r")
                .format()));
    line(sb, "backfill arguments (file)", String.join(" ", FROM_FILE.format()));
    line(sb, "backfill arguments (kafka)", String.join(" ", FROM_KAFKA.format()));
    line(sb, "state name", JobContract.stateName(PLAN));
    operator(sb, "source", JobContract.sourceName(PLAN), JobContract.sourceUid(PLAN));
    operator(sb, "decode json", JobContract.decodeJsonName(PLAN), JobContract.decodeJsonUid(PLAN));
    operator(sb, "watermarks", JobContract.watermarksName(PLAN), JobContract.watermarksUid(PLAN));
    operator(sb, "decode", JobContract.decodeName(PLAN), JobContract.decodeUid(PLAN));
    operator(sb, "windows", JobContract.windowsName(PLAN), JobContract.windowsUid(PLAN));
    operator(
        sb, "offline sink", JobContract.offlineSinkName(PLAN), JobContract.offlineSinkUid(PLAN));
    operator(sb, "online sink", JobContract.onlineSinkName(PLAN), JobContract.onlineSinkUid(PLAN));
    operator(
        sb,
        "rejected, Postgres",
        JobContract.REJECTED_POSTGRES_NAME,
        JobContract.REJECTED_POSTGRES_UID);
    operator(
        sb,
        "rejected, Kafka",
        JobContract.rejectedKafkaName("freshet-rejected"),
        JobContract.REJECTED_KAFKA_UID);
    operator(
        sb,
        "backfill file",
        JobContract.backfillFileName("/data/events.jsonl"),
        JobContract.backfillFileUid(PLAN));
    operator(
        sb,
        "backfill kafka",
        JobContract.backfillKafkaName(PLAN),
        JobContract.backfillKafkaUid(PLAN));
    operator(
        sb,
        "backfill offline sink",
        JobContract.offlineSinkName(PLAN),
        JobContract.backfillOfflineSinkUid(PLAN));
    operator(
        sb,
        "backfill online sink",
        JobContract.onlineSinkName(PLAN),
        JobContract.backfillOnlineSinkUid(PLAN));
    operator(
        sb,
        "backfill rejected",
        JobContract.REJECTED_POSTGRES_NAME,
        JobContract.BACKFILL_REJECTED_POSTGRES_UID);
    line(sb, "backfill group id", JobContract.backfillGroupId(PLAN));
    return sb.toString();
  }

  private static void line(StringBuilder sb, String what, String value) {
    sb.append(what).append(": ").append(value).append('\n');
  }

  private static void operator(StringBuilder sb, String what, String name, String uid) {
    sb.append("operator ").append(what).append(": ").append(name);
    sb.append("  [uid ").append(uid).append("]\n");
  }

  @Test
  void job_name_reads_back_to_its_views() {
    assertThat(JobContract.viewsOfJob(JobContract.jobName(STREAMING.views())))
        .containsExactly("user_activity", "user_activity_live");
    assertThat(JobContract.viewsOfJob(JobContract.backfillJobName(List.of("user_activity"))))
        .isEmpty();
    assertThat(JobContract.viewsOfJob("WordCount")).isEmpty();
    assertThat(JobContract.viewsOfJob(null)).isEmpty();
  }

  @Test
  void window_operator_names_read_back_to_view_versions() {
    String chained =
        "decode: user_activity -> "
            + JobContract.windowsName(PLAN)
            + " -> offline: user_activity: Writer<br/>windows: other_view@0a1b2c3d4e";
    assertThat(JobContract.windowVersions(chained))
        .containsExactly(
            Map.entry("user_activity", PLAN.versionTag()), Map.entry("other_view", "0a1b2c3d4e"));
    assertThat(JobContract.windowVersions("windows: no_version -> windows: @abc")).isEmpty();
    assertThat(JobContract.windowVersions("Source: kafka: user-events")).isEmpty();
  }

  @Test
  void feature_job_arguments_read_back_as_written() {
    assertThat(FeatureJobArguments.parse(params(STREAMING.format()), Map.of()))
        .isEqualTo(STREAMING);
  }

  @Test
  void feature_job_arguments_default_what_is_left_out() {
    JobSettings settings =
        FeatureJobArguments.parse(
                Map.of("kafka", "k:9092"),
                Map.of("FRESHET_PG_URL", "jdbc:pg", "FRESHET_REDIS_URL", "redis://r"))
            .settings();
    assertThat(settings)
        .isEqualTo(
            new JobSettings(
                "k:9092",
                "freshet-features",
                JobSettings.StartingOffsets.COMMITTED,
                "jdbc:pg",
                "redis://r",
                5000,
                5000,
                null));
  }

  @Test
  void feature_job_names_a_missing_store_and_its_variable() {
    assertThatThrownBy(() -> FeatureJobArguments.parse(Map.of("kafka", "k:9092"), Map.of()))
        .hasMessage(
            "missing --pg-url (or environment variable FRESHET_PG_URL); arguments were [kafka]");
  }

  @Test
  void backfill_arguments_read_back_as_written() {
    assertThat(BackfillJobArguments.parse(params(FROM_FILE.format()), Map.of()))
        .isEqualTo(FROM_FILE);
    assertThat(BackfillJobArguments.parse(params(FROM_KAFKA.format()), Map.of()))
        .isEqualTo(FROM_KAFKA);
  }

  /** The arguments as the job reads them. */
  private static Map<String, String> params(List<String> args) {
    return ParameterTool.fromArgs(args.toArray(String[]::new)).toMap();
  }
}
