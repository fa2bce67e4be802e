package io.freshet.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.examples.UserActivity;
import io.freshet.flink.compile.FeatureJobCompiler;
import io.freshet.flink.compile.JobSettings;
import io.freshet.flink.source.SplitRejected;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestKafka;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.freshet.testing.UserActivityOracle;
import io.freshet.testing.UserActivityOracle.Ev;
import io.freshet.testing.UserActivityOracle.Row;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A savepoint of the streaming job of an earlier Freshet restores in this one and the job goes on
 * to the same rows: the operator uids, the window operator's slices and last-emitted rows, the
 * Kafka offsets and the sinks' pending commits all keep their meaning.
 *
 * <p>The savepoint under {@code src/test/resources/savepoints/user_activity} was taken by Freshet
 * 0.1.0 (main before the store modules) from the example view {@code user_activity}, after it read
 * the first {@value #PHASE_1} generated events, with no checkpoint before it: every row the job
 * emitted is in the savepoint's pending commits, and nothing else. The test restores it into an
 * empty database, feeds the rest of the events and compares the offline table with {@link
 * UserActivityOracle} over all of them. The first phase's offsets hold placeholders the job would
 * reject, so its rows can only come from the savepoint. Rewrite the savepoint only when a release
 * deliberately breaks state compatibility (it then changes the view versions and needs a backfill,
 * see the README): {@code mvn -pl integration-tests verify -Dit.test=SavepointCompatibilityIT
 * -Dfreshet.savepoint.write=true}.
 */
class SavepointCompatibilityIT {
  private static final long MIN = 60_000L;
  private static final long BOUND = 10 * MIN;
  private static final int PARTITIONS = 2;
  private static final int PHASE_1 = 3000;
  private static final int PHASE_2 = 2000;
  private static final long START = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
  private static final Path SAVED = Path.of("src/test/resources/savepoints/user_activity");

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(1)
              .build());

  private static final ViewPlan PLAN = ViewPlan.of(UserActivity.view());

  /** The generated input: Kafka records in production order and the good events among them. */
  private record Input(
      List<ProducerRecord<String, String>> phase1,
      List<ProducerRecord<String, String>> phase2,
      List<Ev> good,
      int malformedInPhase1,
      long finalWatermark) {}

  @Test
  void a_savepoint_of_the_previous_version_restores_and_the_job_goes_on_to_the_oracles_rows()
      throws Exception {
    Input input = input();
    if (Boolean.getBoolean("freshet.savepoint.write")) {
      writeSavepoint(input); // the topic now holds the first phase: check in the next run
      return;
    }
    assertThat(SAVED.resolve("_metadata")).as("the savepoint of the previous version").exists();
    assertThat(Files.readString(SAVED.resolve("phase1.jsonl"), StandardCharsets.UTF_8))
        .as("the first events, as the savepoint's job read them (the generator must not drift)")
        .isEqualTo(lines(input.phase1()));

    TestKafka.createTopic(UserActivity.TOPIC, PARTITIONS);
    String pgUrl = TestPostgres.freshDatabase("freshet_savepoint");
    Configuration restore = new Configuration();
    restore.set(StateRecoveryOptions.SAVEPOINT_PATH, SAVED.toAbsolutePath().toUri().toString());
    restore.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
    JobClient job = startJob(restore, pgUrl, Duration.ofSeconds(1));
    try (KafkaProducer<String, String> producer = TestKafka.producer()) {
      // The restored source resumes after the first phase. Its offsets hold placeholders the job
      // would reject: the first phase's rows can only come from the savepoint.
      for (var r : input.phase1()) {
        producer.send(record(r.partition(), "[\"read before the savepoint\"]"));
      }
      input.phase2().forEach(producer::send);
      producer.flush();
      Map<String, List<Row>> expected =
          UserActivityOracle.rows(input.good(), input.finalWatermark());
      int expectedCount = expected.values().stream().mapToInt(List::size).sum();
      OfflineRowsAssert.awaitRows(pgUrl, PLAN, expectedCount, Duration.ofSeconds(120));
      OfflineRowsAssert.assertEquals(pgUrl, PLAN, expected);
    } finally {
      job.cancel().get(30, TimeUnit.SECONDS);
    }
  }

  /** Runs the job over the first phase only and saves its savepoint and input under SAVED. */
  private static void writeSavepoint(Input input) throws Exception {
    TestKafka.createTopic(UserActivity.TOPIC, PARTITIONS);
    String pgUrl = TestPostgres.freshDatabase("freshet_savepoint_write");
    JobClient job = startJob(new Configuration(), pgUrl, Duration.ofHours(1));
    try (KafkaProducer<String, String> producer = TestKafka.producer()) {
      input.phase1().forEach(producer::send);
      producer.flush();
    }
    // The last record of each partition is malformed: once the decoder has set all of them aside,
    // the source has read every record, and the savepoint's barrier follows them all.
    String deadLetters = SplitRejected.accumulatorName(PLAN.name());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      Object seen = job.getAccumulators().get(10, TimeUnit.SECONDS).get(deadLetters);
      if (seen != null && ((Number) seen).intValue() >= input.malformedInPhase1()) {
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the job did not read the first phase in 120 s: " + seen);
      }
      Thread.sleep(200);
    }
    Path target = Files.createTempDirectory("freshet-savepoint");
    String written =
        job.stopWithSavepoint(false, target.toUri().toString(), SavepointFormatType.CANONICAL)
            .get(60, TimeUnit.SECONDS);
    Path dir = Path.of(java.net.URI.create(written));
    if (Files.exists(SAVED)) {
      try (var old = Files.list(SAVED)) {
        for (Path p : old.toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(SAVED);
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.copy(p, SAVED.resolve(p.getFileName()));
      }
    }
    Files.writeString(SAVED.resolve("phase1.jsonl"), lines(input.phase1()), StandardCharsets.UTF_8);
  }

  private static JobClient startJob(Configuration conf, String pgUrl, Duration checkpoints)
      throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(1);
    env.enableCheckpointing(checkpoints.toMillis(), CheckpointingMode.EXACTLY_ONCE);
    JobSettings settings =
        new JobSettings(
            TestKafka.bootstrapServers(),
            "freshet-savepoint",
            JobSettings.StartingOffsets.EARLIEST,
            pgUrl,
            TestRedis.uri(4),
            checkpoints.toMillis(),
            5000);
    FeatureJobCompiler.compile(env, List.of(PLAN), settings);
    return env.executeAsync("freshet savepoint compatibility");
  }

  /**
   * Events of 40 users, up to 8 minutes out of order (inside the 10 minute bound, so no event is
   * late whenever the watermark moves), one in 50 malformed; each partition's first phase ends with
   * a malformed record; sentinels at the end move the watermark of both partitions.
   */
  private static Input input() {
    Random random = new Random(2026);
    List<ProducerRecord<String, String>> phase1 = new ArrayList<>();
    List<ProducerRecord<String, String>> phase2 = new ArrayList<>();
    List<Ev> good = new ArrayList<>();
    int malformed = 0;
    long maxTs = START;
    long t = START;
    for (int i = 0; i < PHASE_1 + PHASE_2; i++) {
      List<ProducerRecord<String, String>> into = i < PHASE_1 ? phase1 : phase2;
      t += random.nextInt(3000);
      if (random.nextInt(50) == 0) {
        into.add(record(random.nextInt(PARTITIONS), "{\"user_id\":\"user_1\",\"event_ts\":"));
        malformed += i < PHASE_1 ? 1 : 0;
        continue;
      }
      String user = "user_" + random.nextInt(40);
      long ts = t - (long) (random.nextDouble() * 8 * MIN);
      Ev e = UserActivityOracle.randomEvent(random, user, ts);
      good.add(e);
      maxTs = Math.max(maxTs, ts);
      into.add(record(partitionOf(user), UserActivityOracle.json(e, random)));
      if (i == PHASE_1 - 1) {
        for (int p = 0; p < PARTITIONS; p++) {
          phase1.add(record(p, "[\"end of the first phase\"]"));
          malformed++;
        }
      }
    }
    long end = maxTs + MIN;
    for (int p = 0; p < PARTITIONS; p++) {
      Ev s = new Ev("sentinel_" + p, end, "view", null, "s", null, "web");
      good.add(s);
      phase2.add(record(p, UserActivityOracle.json(s, random)));
    }
    return new Input(phase1, phase2, good, malformed, end - BOUND - 1);
  }

  private static String lines(List<ProducerRecord<String, String>> records) {
    StringBuilder out = new StringBuilder();
    for (var r : records) {
      out.append(r.partition()).append('\t').append(r.value()).append('\n');
    }
    return out.toString();
  }

  private static int partitionOf(String user) {
    return Math.floorMod(user.hashCode(), PARTITIONS);
  }

  private static ProducerRecord<String, String> record(int partition, String value) {
    return new ProducerRecord<>(UserActivity.TOPIC, partition, null, value);
  }
}
