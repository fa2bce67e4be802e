package io.freshet.gateway;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.sum;
import static io.freshet.dsl.Filter.equalTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.gateway.auth.BearerTokens;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestKafka;
import io.freshet.testing.TestRedis;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /push} against a real Kafka broker (in process): good events arrive on the view's
 * topic byte for byte as sent, keyed by entity key; bad ones are reported with their index and the
 * job's decoder's reason and are not sent.
 */
class GatewayPushTest {
  /** The Redis database of this test; the gateway needs one but push never reads it. */
  private static final int DB = 14;

  private static final String TOKEN = "push-test-token-0123456789";

  private static String topic;
  private static FeatureView view;
  private static GatewayServer gateway;
  private static GatewayServer securedGateway;
  private static GatewayServer withoutKafka;
  private static GatewayClient client;

  @BeforeAll
  static void start() {
    topic = "push-events-" + UUID.randomUUID();
    TestKafka.createTopic(topic, 1);
    SlidingWindow lastHour = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
    view =
        FeatureView.named("pushed_activity")
            .source(
                KafkaJsonSource.topic(topic)
                    .keyedBy("user_id")
                    .eventTimeField("event_ts")
                    .withMaxOutOfOrderness(Duration.ofMinutes(10)))
            .feature(Feature.named("event_count_1h").aggregate(count()).over(lastHour))
            .feature(
                Feature.named("revenue_1h")
                    .aggregate(sum("revenue"))
                    .where(equalTo("event_type", "purchase"))
                    .over(lastHour))
            .build();
    GatewayConfig config =
        new GatewayConfig(
                0,
                TestRedis.uri(DB),
                Catalog.of(
                    List.of(
                        view,
                        FeatureView.named("profile")
                            .source(
                                io.freshet.dsl.PostgresTableSource.table("profile")
                                    .keyedBy("user_id")
                                    .timestampColumn("updated_at"))
                            .feature(
                                Feature.named("country")
                                    .column("country", io.freshet.dsl.FeatureType.STRING))
                            .build())))
            .withLimits(GatewayLimits.defaults().withMaxPushEvents(5));
    gateway = GatewayServer.start(config.withKafka(TestKafka.bootstrapServers()));
    securedGateway =
        GatewayServer.start(
            config
                .withKafka(TestKafka.bootstrapServers())
                .withTokens(BearerTokens.of(List.of(TOKEN))));
    withoutKafka = GatewayServer.start(config);
    client = new GatewayClient(gateway.port());
  }

  @AfterAll
  static void stop() {
    for (GatewayServer g : new GatewayServer[] {gateway, securedGateway, withoutKafka}) {
      if (g != null) {
        g.close();
      }
    }
  }

  @Test
  void good_events_reach_the_topic_as_sent_and_bad_ones_are_reported_and_not_sent() {
    long now = System.currentTimeMillis();
    String purchase =
        "{\"user_id\": \"user_42\",  \"event_ts\": "
            + now
            + ", \"event_type\": \"purchase\", \"revenue\": 1.50e1, \"note\": \"caf\u00e9 \uD83D\uDD25\"}";
    String noKey = "{\"event_ts\": " + now + "}";
    String view2 = "{\"user_id\":7,\"event_ts\":\"" + java.time.Instant.ofEpochMilli(now) + "\"}";
    String badRevenue =
        "{\"user_id\": \"user_9\", \"event_ts\": "
            + now
            + ", \"event_type\": \"purchase\", \"revenue\": \"lots\"}";
    String notAnObject = "[1, 2]";
    String body =
        "{\"view\": \"pushed_activity\", \"events\": ["
            + String.join(", ", purchase, noKey, view2, badRevenue, notAnObject)
            + "]}";
    long before = endOffset();

    HttpResponse<String> response = client.post("/push", body);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    JsonNode answer = GatewayClient.json(response);
    assertThat(answer.get("view").asText()).isEqualTo("pushed_activity");
    assertThat(answer.get("topic").asText()).isEqualTo(topic);
    assertThat(answer.get("accepted").asInt()).isEqualTo(2);
    EventDecoder decoder = new EventDecoder(plan());
    List<String> rejected = new ArrayList<>();
    answer
        .get("rejected")
        .forEach(r -> rejected.add(r.get("index").asInt() + ": " + r.get("reason").asText()));
    assertThat(rejected)
        .containsExactly(
            "1: " + decoder.decode(noKey, "t").rejection(),
            "3: " + decoder.decode(badRevenue, "t").rejection(),
            "4: " + decoder.decode(notAnObject, "t").rejection());
    assertThat(rejected.get(0)).contains("missing entity key field 'user_id'");

    List<ConsumerRecord<byte[], byte[]>> records = readFrom(before);
    assertThat(records).hasSize(2);
    assertThat(text(records.get(0).key())).isEqualTo("user_42");
    assertThat(records.get(0).value()).isEqualTo(purchase.getBytes(StandardCharsets.UTF_8));
    assertThat(text(records.get(1).key())).isEqualTo("7");
    assertThat(records.get(1).value()).isEqualTo(view2.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void feasts_columnar_push_sends_one_event_per_row() throws Exception {
    long now = System.currentTimeMillis();
    String body =
        "{\"push_source_name\": \"pushed_activity\", \"to\": \"online\", \"df\": {\"user_id\":"
            + " [\"u1\", null], \"event_ts\": ["
            + now
            + ", "
            + now
            + "], \"revenue\": [2.5, 3]}}";
    long before = endOffset();

    HttpResponse<String> response = client.post("/push", body);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    JsonNode answer = GatewayClient.json(response);
    assertThat(answer.get("accepted").asInt()).isEqualTo(1);
    assertThat(answer.get("rejected").get(0).get("index").asInt()).isEqualTo(1);
    assertThat(answer.get("rejected").get(0).get("reason").asText())
        .isEqualTo("missing entity key field 'user_id'");
    List<ConsumerRecord<byte[], byte[]>> records = readFrom(before);
    assertThat(records).hasSize(1);
    assertThat(GatewayClient.MAPPER.readTree(records.get(0).value()))
        .isEqualTo(
            GatewayClient.MAPPER.readTree(
                "{\"user_id\": \"u1\", \"event_ts\": " + now + ", \"revenue\": 2.5}"));
  }

  @Test
  void push_needs_a_token_when_tokens_are_configured() {
    GatewayClient secured = new GatewayClient(securedGateway.port());
    String body =
        "{\"view\": \"pushed_activity\", \"events\": [{\"user_id\": \"u\", \"event_ts\": "
            + System.currentTimeMillis()
            + "}]}";
    long before = endOffset();

    HttpResponse<String> without = secured.post("/push", body);
    HttpResponse<String> wrong = secured.post("/push", body, "Authorization", "Bearer nope");

    assertThat(without.statusCode()).isEqualTo(401);
    assertThat(GatewayClient.json(without).get("error").asText()).isEqualTo("unauthorized");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(endOffset()).as("nothing sent without a token").isEqualTo(before);

    HttpResponse<String> with = secured.post("/push", body, "Authorization", "Bearer " + TOKEN);

    assertThat(with.statusCode()).as(with.body()).isEqualTo(202);
    assertThat(readFrom(before)).hasSize(1);
  }

  @Test
  void bad_requests_get_json_errors_naming_the_fault_and_send_nothing() {
    long before = endOffset();
    String event = "{\"user_id\": \"u\", \"event_ts\": " + System.currentTimeMillis() + "}";

    JsonNode unknown =
        expect(404, "{\"view\": \"no_such_view\", \"events\": [" + event + "]}", client);
    assertThat(unknown.get("error").asText()).isEqualTo("unknown_view");
    assertThat(unknown.get("field").asText()).isEqualTo("view");
    assertThat(unknown.get("message").asText()).contains("no_such_view");

    JsonNode table = expect(400, "{\"view\": \"profile\", \"events\": [" + event + "]}", client);
    assertThat(table.get("error").asText()).isEqualTo("table_view");
    assertThat(table.get("message").asText())
        .isEqualTo(
            "feature view 'profile' reads a Postgres table, not events: update the table and load"
                + " it with `freshet materialize --view profile`");

    JsonNode tooMany =
        expect(
            400,
            "{\"view\": \"pushed_activity\", \"events\": ["
                + String.join(",", java.util.Collections.nCopies(6, event))
                + "]}",
            client);
    assertThat(tooMany.get("error").asText()).isEqualTo("too_many_events");
    assertThat(tooMany.get("limit").asInt()).isEqualTo(5);

    assertThat(
            expect(400, "{\"view\": \"pushed_activity\", \"events\": {}}", client)
                .get("field")
                .asText())
        .isEqualTo("events");
    assertThat(expect(400, "{\"view\": \"pushed_activity\"}", client).get("field").asText())
        .isEqualTo("events");
    assertThat(
            expect(400, "{\"view\": \"pushed_activity\", \"events\": []}", client)
                .get("field")
                .asText())
        .isEqualTo("events");
    assertThat(expect(400, "not json", client).get("error").asText()).isEqualTo("invalid_json");
    assertThat(
            expect(400, "{\"view\": \"pushed_activity\", \"events\": [], \"x\": 1}", client)
                .get("error")
                .asText())
        .isEqualTo("unknown_field");
    assertThat(
            expect(
                    400,
                    "{\"push_source_name\": \"pushed_activity\", \"df\": {\"user_id\": [\"a\"],"
                        + " \"event_ts\": [1, 2]}}",
                    client)
                .get("field")
                .asText())
        .isEqualTo("df.event_ts");
    assertThat(
            expect(
                    400,
                    "{\"view\": \"pushed_activity\", \"to\": \"offline\", \"events\": ["
                        + event
                        + "]}",
                    client)
                .get("field")
                .asText())
        .isEqualTo("to");
    assertThat(endOffset()).as("nothing sent").isEqualTo(before);
  }

  @Test
  void a_gateway_without_kafka_says_how_to_configure_it() {
    String body =
        "{\"view\": \"pushed_activity\", \"events\": [{\"user_id\": \"u\", \"event_ts\": "
            + System.currentTimeMillis()
            + "}]}";

    JsonNode answer = expect(503, body, new GatewayClient(withoutKafka.port()));

    assertThat(answer.get("error").asText()).isEqualTo("push_not_configured");
    assertThat(answer.get("message").asText()).contains("--kafka").contains("FRESHET_KAFKA");
  }

  @Test
  void when_kafka_cannot_be_reached_the_answer_is_503_naming_what_was_not_sent() throws Exception {
    // A bootstrap address nothing listens on: the producer never gets the topic's metadata.
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    long now = System.currentTimeMillis();
    String body =
        "{\"view\": \"pushed_activity\", \"events\": [{\"user_id\": \"a\", \"event_ts\": "
            + now
            + "}, {\"event_ts\": "
            + now
            + "}, {\"user_id\": \"b\", \"event_ts\": "
            + now
            + "}]}";
    try (GatewayServer unreachable =
        GatewayServer.start(
            new GatewayConfig(0, TestRedis.uri(DB), Catalog.of(List.of(view)))
                .withKafka("127.0.0.1:" + closedPort))) {
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      HttpResponse<String> response =
          http.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + unreachable.port() + "/push"))
                  .timeout(Duration.ofSeconds(60))
                  .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
      JsonNode answer = GatewayClient.json(response);
      assertThat(answer.get("error").asText()).isEqualTo("event_log_unavailable");
      assertThat(answer.get("sent")).isEmpty();
      assertThat(answer.get("not_sent").toString()).isEqualTo("[0,2]");
      assertThat(answer.get("rejected").get(0).get("index").asInt()).isEqualTo(1);
      assertThat(answer.get("message").asText())
          .contains("none was sent")
          .contains("127.0.0.1:" + closedPort);
    }
  }

  private static JsonNode expect(int status, String body, GatewayClient to) {
    HttpResponse<String> response = to.post("/push", body);
    assertThat(response.statusCode()).as(body + " -> " + response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    return GatewayClient.json(response);
  }

  private static ViewPlan plan() {
    return Catalog.of(List.of(view)).plans().get(0);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static KafkaConsumer<byte[], byte[]> consumer() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return new KafkaConsumer<>(p);
  }

  private static TopicPartition partition() {
    return new TopicPartition(topic, 0);
  }

  /** The topic's end offset: how many records it holds (an idempotent producer adds no markers). */
  private static long endOffset() {
    try (KafkaConsumer<byte[], byte[]> c = consumer()) {
      Map<TopicPartition, Long> end = c.endOffsets(List.of(partition()));
      return end.get(partition());
    }
  }

  /** Every record from {@code offset} to the topic's end, read with a real consumer. */
  private static List<ConsumerRecord<byte[], byte[]>> readFrom(long offset) {
    try (KafkaConsumer<byte[], byte[]> c = consumer()) {
      c.assign(List.of(partition()));
      long end = c.endOffsets(List.of(partition())).get(partition());
      c.seek(partition(), offset);
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (c.position(partition()) < end && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      return out;
    }
  }
}
