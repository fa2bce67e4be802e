package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.deploy.generator.EventGenerator;
import io.freshet.deploy.generator.UserEvent;
import io.freshet.deploy.stack.FlinkClusterConfig;
import io.freshet.deploy.stack.FlinkSessionCluster;
import io.freshet.deploy.stack.Installation;
import io.freshet.deploy.stack.KafkaTopics;
import io.freshet.deploy.stack.Ports;
import io.freshet.examples.UserActivity;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestKafka;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code freshet backfill} run locally for real: the job jar's BackfillJob in a child JVM on the
 * Flink runtime classpath, writing a real Postgres and Redis, then checked by {@code verify}.
 */
class BackfillIT {
  private static final int REDIS_DB = 13;

  @TempDir Path dir;

  @Test
  void backfills_a_json_lines_file_locally_and_a_second_run_adds_nothing() throws Exception {
    String pgUrl = TestPostgres.freshDatabase("cli_backfill");
    String redisUrl = TestRedis.uri(REDIS_DB);
    RedisClient client = RedisClient.create(redisUrl);
    try (StatefulRedisConnection<String, String> redis = client.connect()) {
      redis.sync().flushdb();
    } finally {
      client.shutdown();
    }
    List<UserEvent> history =
        new EventGenerator(7, 20).history(Instant.now(), Duration.ofMinutes(90), 2);
    Path events = dir.resolve("events.jsonl");
    Files.write(events, history.stream().map(UserEvent::toJson).toList());

    assertThat(Cli.run("apply", "--pg-url", pgUrl).exitCode()).isZero();

    Cli.Result first = backfill(events, pgUrl, redisUrl);
    assertThat(first.exitCode()).as(first.toString()).isZero();
    OfflineTable table = OfflineTable.of(ViewPlan.of(UserActivity.view()));
    long rows = count(pgUrl, table);
    assertThat(rows).isPositive();
    assertThat(first.out())
        .contains("locally, in a child JVM")
        .contains("user_activity: " + rows + " rows written to " + table.qualifiedName());
    Matcher written = Pattern.compile("user_activity: (\\d+) rows written").matcher(first.out());
    assertThat(written.find()).isTrue();

    Cli.Result again = backfill(events, pgUrl, redisUrl);
    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(again.out()).contains("user_activity: 0 rows written");
    assertThat(count(pgUrl, table)).isEqualTo(rows);

    Cli.Result verify =
        Cli.run(
            "verify",
            "--views",
            "user_activity",
            "--recheck-after",
            "0s",
            "--pg-url",
            pgUrl,
            "--redis-url",
            redisUrl);
    assertThat(verify.exitCode()).as(verify.toString()).isZero();
    assertThat(verify.out()).contains("user_activity: 20 entities checked").contains("all match");
  }

  @Test
  void shows_events_read_as_a_bar_in_a_terminal_and_as_lines_in_a_pipe() throws Exception {
    String pgUrl = TestPostgres.freshDatabase("cli_backfill_progress");
    List<UserEvent> history =
        new EventGenerator(11, 30).history(Instant.now(), Duration.ofMinutes(120), 3);
    Path events = dir.resolve("events.jsonl");
    Files.write(events, history.stream().map(UserEvent::toJson).toList());
    int n = history.size();
    String count = String.format(Locale.ROOT, "%,d", n);
    assertThat(Cli.run("apply", "--pg-url", pgUrl).exitCode()).isZero();

    Cli.Result bar = backfillWithProgress(events, pgUrl, "bar");
    assertThat(bar.exitCode()).as(bar.toString()).isZero();
    assertThat(bar.out()).contains("user_activity: ").doesNotContain("\r").doesNotContain("[#");
    List<String> draws =
        Arrays.stream(bar.err().split("[\r\n]"))
            .filter(d -> d.startsWith("events read "))
            .map(String::strip)
            .toList();
    assertThat(bar.err()).contains("\revents read [");
    TrainingSetCommandTest.assertPercentagesRiseTo100(draws, bar.err());
    assertThat(draws.get(draws.size() - 1))
        .as(bar.err())
        .matches(
            "events read \\[#{20}\\] 100% "
                + count
                + "/"
                + count
                + " events  [\\d,]+ events/s  in \\d+:\\d\\d");

    Cli.Result lines = backfillWithProgress(events, pgUrl, "lines");
    assertThat(lines.exitCode()).as(lines.toString()).isZero();
    assertThat(lines.out()).contains("user_activity: 0 rows written");
    assertThat(lines.err()).doesNotContain("\r");
    List<String> shown = lines.err().lines().filter(l -> l.startsWith("events read: ")).toList();
    TrainingSetCommandTest.assertPercentagesRiseTo100(shown, lines.err());
    assertThat(shown.get(shown.size() - 1))
        .as(lines.err())
        .matches(
            "events read: done, " + count + " events \\(100%\\) in \\d+\\.\\d s, [\\d,]+ events/s");
  }

  @Test
  void a_kafka_range_shows_its_share_by_the_offsets_it_covers() throws Exception {
    String pgUrl = TestPostgres.freshDatabase("cli_backfill_kafka_progress");
    String bootstrap = TestKafka.bootstrapServers();
    String topic = ViewPlan.of(UserActivity.view()).source().topic();
    KafkaTopics.ensure(bootstrap, "the test broker", topic, 2);
    // a range of record times no other test writes, so the topic may be shared
    Instant end = Instant.parse("2001-02-03T04:00:00Z");
    List<UserEvent> history = new EventGenerator(5, 10).history(end, Duration.ofMinutes(60), 2);
    try (KafkaProducer<String, String> producer = TestKafka.producer()) {
      for (UserEvent e : history) {
        producer.send(
            new ProducerRecord<>(topic, null, e.eventTs().toEpochMilli(), e.userId(), e.toJson()));
      }
      producer.flush();
    }
    assertThat(Cli.run("apply", "--pg-url", pgUrl).exitCode()).isZero();

    Cli.Result r =
        Cli.run(
            "backfill",
            "--views",
            "user_activity",
            "--kafka",
            bootstrap,
            "--from",
            end.minus(Duration.ofHours(2)).toString(),
            "--to",
            end.plus(Duration.ofMinutes(1)).toString(),
            "--local",
            "--pg-url",
            pgUrl,
            "--progress",
            "lines",
            "--progress-interval",
            "200ms",
            "--timeout",
            "3m");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<String> shown = r.err().lines().filter(l -> l.startsWith("events read: ")).toList();
    TrainingSetCommandTest.assertPercentagesRiseTo100(shown, r.err());
    assertThat(shown.get(shown.size() - 1))
        .as(r.err())
        .matches(
            "events read: done, "
                + String.format(Locale.ROOT, "%,d", history.size())
                + " events \\(100%\\) in \\d+\\.\\d s, [\\d,]+ events/s");
  }

  @Test
  void on_a_cluster_the_same_reader_takes_the_counts_from_the_cluster() throws Exception {
    Installation installation = Installation.fromSystemProperties();
    String pgUrl = TestPostgres.freshDatabase("cli_backfill_cluster_progress");
    List<UserEvent> history =
        new EventGenerator(13, 15).history(Instant.now(), Duration.ofMinutes(60), 2);
    Path events = dir.resolve("events.jsonl");
    Files.write(events, history.stream().map(UserEvent::toJson).toList());
    assertThat(Cli.run("apply", "--pg-url", pgUrl).exitCode()).isZero();
    try (FlinkSessionCluster cluster =
        FlinkSessionCluster.start(
            installation.flinkClasspath(),
            dir,
            FlinkClusterConfig.local(Ports.free(), Ports.free(), dir.resolve("flink/data")))) {
      Cli.Result r =
          Cli.run(
              "backfill",
              "--views",
              "user_activity",
              "--input",
              events.toString(),
              "--flink",
              cluster.rest().baseUri().toString(),
              "--pg-url",
              pgUrl,
              "--progress",
              "lines",
              "--progress-interval",
              "200ms",
              "--timeout",
              "3m");
      assertThat(r.exitCode()).as(r.toString()).isZero();
      assertThat(r.out()).contains("on " + cluster.rest().baseUri() + " as job");
      List<String> shown = r.err().lines().filter(l -> l.startsWith("events read: ")).toList();
      TrainingSetCommandTest.assertPercentagesRiseTo100(shown, r.err());
      assertThat(shown.get(shown.size() - 1))
          .as(r.err())
          .matches(
              "events read: done, "
                  + String.format(Locale.ROOT, "%,d", history.size())
                  + " events \\(100%\\) in \\d+\\.\\d s, [\\d,]+ events/s");
    }
  }

  private static Cli.Result backfillWithProgress(Path events, String pgUrl, String style) {
    return Cli.run(
        "backfill",
        "--views",
        "user_activity",
        "--input",
        events.toString(),
        "--local",
        "--pg-url",
        pgUrl,
        "--progress",
        style,
        "--progress-interval",
        "200ms",
        "--timeout",
        "3m");
  }

  private static Cli.Result backfill(Path events, String pgUrl, String redisUrl) {
    return Cli.run(
        "backfill",
        "--views",
        "user_activity",
        "--input",
        events.toString(),
        "--online",
        "--local",
        "--pg-url",
        pgUrl,
        "--redis-url",
        redisUrl,
        "--timeout",
        "3m");
  }

  private static long count(String pgUrl, OfflineTable table) throws Exception {
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table.qualifiedName())) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
