package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.deploy.definitions.DefinitionsJars;
import io.freshet.deploy.stack.KafkaTopics;
import io.freshet.deploy.stack.PostgresEndpoint;
import io.freshet.examples.UserActivity;
import io.freshet.plan.Catalog;
import io.freshet.testing.TestKafka;
import io.freshet.testing.TestPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code freshet produce} against a real in-process KRaft broker: good events arrive exactly once,
 * each bad one is reported with its line and the job decoder's reason and never reaches the topic.
 * What arrived is read back with a read-committed consumer, between the topic's end offsets before
 * and after the run.
 */
class ProduceCommandTest {
  private static final String TOPIC = UserActivity.TOPIC;
  private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

  private static String bootstrap;

  @TempDir Path dir;

  @BeforeAll
  static void startKafka() {
    bootstrap = TestKafka.bootstrapServers();
    KafkaTopics.ensure(bootstrap, "the test broker", TOPIC, 2);
  }

  /** A line of the input, and what the command must say about it (null: it is sent). */
  private record Line(String json, String reason) {
    static Line good(String json) {
      return new Line(json, null);
    }

    static Line bad(String json, String reason) {
      return new Line(json, reason);
    }
  }

  @Test
  void sends_good_events_once_and_reports_each_bad_one_with_its_line_and_reason() throws Exception {
    String recent = NOW.minus(Duration.ofMinutes(5)).toString();
    Instant future = NOW.plus(Duration.ofDays(3));
    List<Line> lines =
        List.of(
            Line.good(
                "{\"user_id\":\"u1\",\"event_type\":\"purchase\",\"product_id\":\"p7\","
                    + "\"revenue\":19.99,\"session_id\":\"s1\",\"platform\":\"web\","
                    + "\"event_ts\":\""
                    + recent
                    + "\"}"),
            Line.good(""),
            Line.bad("{\"user_id\": \"u1\", \"event_type\"", "unparseable JSON: "),
            Line.bad("[1, 2, 3]", "not a JSON object"),
            Line.bad(
                "{\"event_type\":\"view\",\"event_ts\":\"" + recent + "\"}",
                "missing entity key field 'user_id'"),
            Line.bad(
                "{\"user_id\":{\"id\":1},\"event_ts\":\"" + recent + "\"}",
                "entity key field 'user_id' must be a string or integer, got OBJECT"),
            Line.bad(
                "{\"user_id\":\"\",\"event_ts\":\"" + recent + "\"}",
                "entity key field 'user_id' is empty"),
            Line.bad(
                "{\"user_id\":\"u2\",\"event_type\":\"view\"}",
                "missing event time field 'event_ts'"),
            Line.good("   "),
            Line.bad(
                "{\"user_id\":\"u2\",\"event_ts\":\"yesterday\"}",
                "event time field 'event_ts' is not an ISO-8601 instant or epoch milliseconds:"
                    + " 'yesterday'"),
            Line.bad(
                "{\"user_id\":\"u2\",\"event_ts\":true}",
                "event time field 'event_ts' must be an ISO-8601 string or epoch milliseconds,"
                    + " got BOOLEAN"),
            Line.bad(
                "{\"user_id\":\"u2\",\"event_ts\":1}",
                "event time 1970-01-01T00:00:00.001Z is before 2000-01-01 (a broken clock?)"),
            Line.bad(
                "{\"user_id\":\"u2\",\"event_ts\":\"" + future + "\"}",
                "event time " + future + " is more than 24h in the future (a broken clock?)"),
            Line.bad(
                "{\"user_id\":\"u3\",\"event_type\":\"purchase\",\"revenue\":\"12.50\","
                    + "\"event_ts\":\""
                    + recent
                    + "\"}",
                "field 'revenue' must be a number, got STRING"),
            Line.bad(
                "{\"user_id\":\"u3\",\"event_type\":\"purchase\",\"revenue\":1e400,"
                    + "\"event_ts\":\""
                    + recent
                    + "\"}",
                "field 'revenue' must be a finite number, got "),
            Line.bad(
                "{\"user_id\":\"u3\",\"platform\":{\"os\":\"ios\"},\"event_ts\":\""
                    + recent
                    + "\"}",
                "field 'platform' must be a string or number, got OBJECT"),
            Line.good(
                "{\"user_id\":\"u2\",\"event_type\":\"view\",\"session_id\":\"s9\","
                    + "\"platform\":\"ios\",\"event_ts\":"
                    + NOW.minusSeconds(60).toEpochMilli()
                    + "}"),
            Line.bad(
                "{\"user_id\":\"u4\",\"session_id\":\""
                    + "x".repeat(70_000)
                    + "\",\"event_ts\":\""
                    + recent
                    + "\"}",
                "payload of more than 65536 bytes exceeds the limit of 65536"),
            Line.good(
                "{\"user_id\":42,\"event_type\":\"view\",\"session_id\":\"s4\","
                    + "\"platform\":\"android\",\"event_ts\":\""
                    + NOW.minusSeconds(30).toEpochMilli()
                    + "\"}"));
    Path input = dir.resolve("events.jsonl");
    Files.writeString(input, String.join("\n", lines.stream().map(Line::json).toList()) + "\n");

    Map<TopicPartition, Long> before = endOffsets();
    Cli.Result r =
        Cli.runWithEnv(
            Map.of(),
            "produce",
            "--view",
            "user_activity",
            "--kafka",
            bootstrap,
            "--input",
            input.toString());

    List<String> sent = new ArrayList<>();
    List<String> expectedKeys = List.of("u1", "u2", "42");
    List<String> reported = r.err().lines().toList();
    List<String> expectedReports = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      Line l = lines.get(i);
      if (l.reason() != null) {
        expectedReports.add("line " + (i + 1) + ": " + l.reason());
      } else if (!l.json().isBlank()) {
        sent.add(l.json());
      }
    }
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(FreshetCommand.EXIT_REJECTED);
    assertThat(reported).as(r.toString()).hasSameSizeAs(expectedReports);
    for (int i = 0; i < reported.size(); i++) {
      assertThat(reported.get(i)).startsWith(expectedReports.get(i));
    }
    assertThat(r.out()).contains("sent 3, rejected 14");

    List<ConsumerRecord<String, String>> arrived = readFrom(before);
    assertThat(arrived.stream().map(ConsumerRecord::value).toList())
        .containsExactlyInAnyOrderElementsOf(sent);
    assertThat(arrived.stream().map(ConsumerRecord::key).toList())
        .containsExactlyInAnyOrderElementsOf(expectedKeys);
  }

  @Test
  void reads_standard_input_and_the_kafka_of_the_environment_and_exits_zero_when_all_are_good()
      throws Exception {
    String a = event("stdin-a", NOW.minusSeconds(120));
    String b = event("stdin-b", NOW.minusSeconds(90));
    Map<TopicPartition, Long> before = endOffsets();

    Cli.Result r =
        Cli.runWithEnvAndInput(
            Map.of("FRESHET_KAFKA", bootstrap),
            a + "\n\n" + b + "\n",
            "produce",
            "--views",
            "user_activity_live",
            "--input",
            "-");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).contains("from FRESHET_KAFKA").contains("sent 2, rejected 0");
    assertThat(readFrom(before).stream().map(ConsumerRecord::value).toList())
        .containsExactlyInAnyOrder(a, b);
  }

  @Test
  void a_dry_run_reports_bad_events_and_sends_nothing_without_any_kafka() throws Exception {
    Map<TopicPartition, Long> before = endOffsets();

    Cli.Result r =
        Cli.runWithEnvAndInput(
            Map.of(),
            event("dry", NOW.minusSeconds(60)) + "\n{\"user_id\":\"dry\"}\n",
            "produce",
            "--view",
            "user_activity",
            "--dry-run");

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(FreshetCommand.EXIT_REJECTED);
    assertThat(r.err()).isEqualTo("line 2: missing event time field 'event_ts'\n");
    assertThat(r.out()).contains("dry run: 1 would be sent, rejected 1; nothing was sent");
    assertThat(endOffsets()).isEqualTo(before);
  }

  @Test
  void a_missing_topic_is_named_and_not_created() throws Exception {
    String topic = "clicks-" + UUID.randomUUID();
    Path jar = clicksDefinitions(topic);

    Cli.Result r =
        Cli.runWithEnvAndInput(
            Map.of(),
            clickEvent(),
            "produce",
            "--view",
            "page_clicks",
            "--definitions",
            jar.toString(),
            "--kafka",
            bootstrap);

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(FreshetCommand.EXIT_FAILED);
    assertThat(r.err())
        .contains(
            "freshet produce: topic '"
                + topic
                + "' of view page_clicks does not exist on "
                + bootstrap
                + " (from --kafka)")
        .contains("--create-topic");
    assertThat(topics()).doesNotContain(topic);
  }

  @Test
  void create_topic_creates_the_missing_topic_and_sends() throws Exception {
    String topic = "clicks-" + UUID.randomUUID();
    Path jar = clicksDefinitions(topic);

    Cli.Result r =
        Cli.runWithEnvAndInput(
            Map.of(),
            clickEvent(),
            "produce",
            "--view",
            "page_clicks",
            "--definitions",
            jar.toString(),
            "--kafka",
            bootstrap,
            "--create-topic");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("sent 1, rejected 0");
    List<ConsumerRecord<String, String>> arrived = readFrom(startOffsets(topic));
    assertThat(arrived).hasSize(1);
    assertThat(arrived.get(0).key()).isEqualTo("home");
    assertThat(arrived.get(0).value()).isEqualTo(clickEvent().strip());
  }

  @Test
  void without_a_kafka_it_says_how_to_name_one() {
    Cli.Result r =
        Cli.runWithEnvAndInput(
            Map.of(), event("nobody", NOW), "produce", "--view", "user_activity");

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(FreshetCommand.EXIT_INVALID);
    assertThat(r.err())
        .contains(
            "freshet produce: no Kafka to send to: pass --kafka <bootstrap> or set FRESHET_KAFKA"
                + " (a running `freshet demo` prints the address of its broker");
  }

  @Test
  void it_takes_exactly_one_view_and_an_existing_file() {
    Cli.Result two =
        Cli.runWithEnv(
            Map.of("FRESHET_KAFKA", bootstrap),
            "produce",
            "--views",
            "user_activity,user_activity_live");
    assertThat(two.exitCode()).isEqualTo(FreshetCommand.EXIT_INVALID);
    assertThat(two.err())
        .contains("produce sends to one view's topic, got --view user_activity,user_activity_live");

    Cli.Result missing =
        Cli.runWithEnv(
            Map.of("FRESHET_KAFKA", bootstrap),
            "produce",
            "--view",
            "user_activity",
            "--input",
            dir.resolve("nope.jsonl").toString());
    assertThat(missing.exitCode()).isEqualTo(FreshetCommand.EXIT_INVALID);
    assertThat(missing.err()).contains("nope.jsonl: there is no such file");

    Cli.Result unknown =
        Cli.runWithEnv(Map.of("FRESHET_KAFKA", bootstrap), "produce", "--view", "nosuch");
    assertThat(unknown.exitCode()).isEqualTo(FreshetCommand.EXIT_INVALID);
    assertThat(unknown.err()).contains("nosuch");
  }

  /**
   * The demo's guide names the broker and the topic, and its two produce lines work as printed: the
   * file line with a file of events, the echo line through a real shell.
   */
  @Test
  void the_demo_guide_names_the_broker_and_prints_produce_lines_that_work() throws Exception {
    DemoCommand demo = new DemoCommand(Map.of(), Clock.systemUTC());
    new CommandLine(demo).parseArgs();
    StringWriter guide = new StringWriter();
    try (PostgresEndpoint pg = PostgresEndpoint.locate(TestPostgres.adminUrl(), "the test")) {
      demo.printGuide(
          new PrintWriter(guide),
          Catalog.load(getClass().getClassLoader()),
          pg,
          "user_0001",
          URI.create("http://localhost:18081"),
          18080,
          bootstrap,
          Instant.now(),
          dir);
    }
    List<String> lines = guide.toString().lines().toList();
    assertThat(lines).contains("  Kafka           " + bootstrap + ", topic " + TOPIC);
    String fileLine = only(lines, "  Send events     deploy/bin/freshet produce ");
    String echoLine = only(lines, "                  echo '");
    assertThat(fileLine).endsWith("--kafka " + bootstrap + " --input events.jsonl");

    Path events = dir.resolve("events.jsonl");
    String fromFile = event("guide-file", NOW.minusSeconds(30));
    Files.writeString(events, fromFile + "\n");
    String[] fileArgs =
        Arrays.stream(fileLine.substring(fileLine.indexOf("produce ")).split(" +"))
            .map(a -> a.equals("events.jsonl") ? events.toString() : a)
            .toArray(String[]::new);
    Map<TopicPartition, Long> before = endOffsets();
    Cli.Result viaFile = Cli.runWithEnv(Map.of(), fileArgs);
    assertThat(viaFile.exitCode()).as(viaFile.toString()).isZero();

    int pipe = echoLine.indexOf(" | deploy/bin/freshet ");
    String echoed = shell(echoLine.substring(0, pipe).strip());
    String[] echoArgs =
        echoLine.substring(pipe + " | deploy/bin/freshet ".length()).strip().split(" +");
    Cli.Result viaEcho = Cli.runWithEnvAndInput(Map.of(), echoed, echoArgs);
    assertThat(viaEcho.exitCode()).as(viaEcho.toString()).isZero();

    List<ConsumerRecord<String, String>> arrived = readFrom(before);
    assertThat(arrived.stream().map(ConsumerRecord::key).toList())
        .containsExactlyInAnyOrder("guide-file", "me");
    assertThat(arrived.stream().map(ConsumerRecord::value).toList())
        .containsExactlyInAnyOrder(fromFile, echoed.strip());
  }

  private static String event(String user, Instant ts) {
    return "{\"user_id\":\""
        + user
        + "\",\"event_type\":\"view\",\"session_id\":\"s1\",\"platform\":\"web\",\"event_ts\":\""
        + ts
        + "\"}";
  }

  private static String clickEvent() {
    return "{\"page_id\":\"home\",\"ts\":\"" + NOW.minusSeconds(10) + "\"}\n";
  }

  /** The {@code page_clicks} view of a user's jar, reading {@code topic}. */
  private Path clicksDefinitions(String topic) throws Exception {
    return DefinitionsJars.build(
        dir,
        "clicks",
        Map.of(
            DefinitionsJars.CLICKS_CLASS,
            DefinitionsJars.CLICKS_SOURCE.replace(
                "KafkaJsonSource.topic(\"clicks\")", "KafkaJsonSource.topic(\"" + topic + "\")")),
        DefinitionsJars.CLICKS_CLASS + "\n");
  }

  private static String only(List<String> lines, String prefix) {
    List<String> found = lines.stream().filter(l -> l.startsWith(prefix)).toList();
    assertThat(found).as("guide lines starting with '%s'", prefix).hasSize(1);
    return found.get(0);
  }

  private static String shell(String command) throws Exception {
    Process p = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("bash -c %s: %s", command, output).isZero();
    return output;
  }

  private static Set<String> topics() throws Exception {
    try (Admin admin = admin()) {
      return admin.listTopics().names().get();
    }
  }

  private static Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Admin.create(p);
  }

  private static KafkaConsumer<String, String> consumer() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(
        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
        IsolationLevel.READ_COMMITTED.toString().toLowerCase(java.util.Locale.ROOT));
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 1 << 20);
    return new KafkaConsumer<>(p);
  }

  /** The read-committed end offset of each partition of the example topic. */
  private static Map<TopicPartition, Long> endOffsets() {
    try (KafkaConsumer<String, String> c = consumer()) {
      return new HashMap<>(c.endOffsets(partitions(c, TOPIC)));
    }
  }

  private static Map<TopicPartition, Long> startOffsets(String topic) {
    try (KafkaConsumer<String, String> c = consumer()) {
      return new HashMap<>(c.beginningOffsets(partitions(c, topic)));
    }
  }

  private static List<TopicPartition> partitions(KafkaConsumer<String, String> c, String topic) {
    return c.partitionsFor(topic).stream()
        .map(i -> new TopicPartition(i.topic(), i.partition()))
        .toList();
  }

  /** Every committed record from {@code from} up to the current end offsets. */
  private static List<ConsumerRecord<String, String>> readFrom(Map<TopicPartition, Long> from) {
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (KafkaConsumer<String, String> c = consumer()) {
      c.assign(from.keySet());
      from.forEach(c::seek);
      Map<TopicPartition, Long> end = c.endOffsets(from.keySet());
      // A guard against a broken broker, not a timing assertion: reading back takes milliseconds.
      Instant giveUp = Instant.now().plus(Duration.ofMinutes(1));
      while (end.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())) {
        assertThat(Instant.now()).as("reading back the topic").isBefore(giveUp);
        c.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }
}
