package io.freshet.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.freshet.examples.UserActivity;
import io.freshet.flink.compile.BackfillCompiler;
import io.freshet.flink.compile.BackfillSource;
import io.freshet.flink.compile.FeatureJobCompiler;
import io.freshet.flink.compile.JobSettings;
import io.freshet.gateway.GatewayConfig;
import io.freshet.gateway.GatewayServer;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestKafka;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.freshet.testing.UserActivityOracle;
import io.freshet.testing.UserActivityOracle.Ev;
import io.freshet.testing.UserActivityOracle.Row;
import io.lettuce.core.RedisClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole path: generated events (out of order, malformed, late) into a real Kafka broker, the
 * feature job on a Flink MiniCluster, rows in real Postgres and Redis, and the gateway over HTTP —
 * every value checked against {@link UserActivityOracle}.
 */
class PipelineEndToEndIT {
  private static final long MIN = 60_000L;
  private static final long BOUND = 10 * MIN;
  private static final int PARTITIONS = 2;

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  private static final ViewPlan PLAN = ViewPlan.of(UserActivity.view());
  private static String pgUrl;
  private static String redisUrl;
  private static RedisClient redis;

  @BeforeAll
  static void servers() {
    TestKafka.createTopic(UserActivity.TOPIC, PARTITIONS);
    pgUrl = TestPostgres.freshDatabase("freshet_e2e");
    redisUrl = TestRedis.uri(3);
    redis = RedisClient.create(redisUrl);
    redis.connect().sync().flushdb();
  }

  @AfterAll
  static void close() {
    redis.shutdown();
  }

  @Test
  void events_flow_to_offline_and_online_tables_and_the_gateway_matching_the_oracle()
      throws Exception {
    Random random = new Random(7);
    long now = System.currentTimeMillis();
    long start = now - 100 * MIN;
    List<Ev> good = new ArrayList<>();
    Map<Integer, Long> maxTsByPartition = new HashMap<>();
    List<ProducerRecord<String, String>> phase1 = new ArrayList<>();
    int malformed = 0;
    long t = start;
    for (int i = 0; i < 6000; i++) {
      t += random.nextInt(1800);
      if (random.nextInt(50) == 0) {
        phase1.add(record(random.nextInt(PARTITIONS), malformedEvent(random, t)));
        malformed++;
        continue;
      }
      String user = "user_" + random.nextInt(60);
      long ts = t - (long) (random.nextDouble() * 8 * MIN);
      Ev e = UserActivityOracle.randomEvent(random, user, ts);
      good.add(e);
      int partition = partitionOf(user);
      maxTsByPartition.merge(partition, ts, Math::max);
      phase1.add(record(partition, UserActivityOracle.json(e, random)));
    }

    JobClient job = startJob();
    BackfillRun backfill;
    try (KafkaProducer<String, String> producer = TestKafka.producer()) {
      for (var r : phase1) {
        producer.send(r);
      }
      producer.flush();
      OfflineRowsAssert.awaitRows(pgUrl, PLAN, 1, Duration.ofSeconds(90));

      // Phase 2: events hours behind a watermark that has visibly moved are late.
      List<Ev> late = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        Ev e =
            UserActivityOracle.randomEvent(
                random, "user_" + random.nextInt(60), start - 6 * 60 * MIN + i * MIN);
        late.add(e);
        producer.send(record(partitionOf(e.user()), UserActivityOracle.json(e, random)));
      }
      // Sentinels move every partition's watermark to the same place, so the final
      // watermark does not depend on which partition idles first.
      long end = Math.max(maxTsByPartition.get(0), maxTsByPartition.get(1)) + MIN;
      for (int p = 0; p < PARTITIONS; p++) {
        Ev s = new Ev("sentinel_" + p, end, "view", null, "s", null, "web");
        good.add(s);
        producer.send(record(p, UserActivityOracle.json(s, random)));
      }
      producer.flush();
      long finalWatermark = end - BOUND - 1;

      Map<String, List<Row>> expected = UserActivityOracle.rows(good, finalWatermark);
      int expectedCount = expected.values().stream().mapToInt(List::size).sum();
      OfflineRowsAssert.awaitRows(pgUrl, PLAN, expectedCount, Duration.ofSeconds(120));
      awaitRejected(malformed + late.size(), Duration.ofSeconds(60));

      OfflineRowsAssert.assertEquals(pgUrl, PLAN, expected);
      assertRejected(malformed, late);
      assertOnlineAndGatewayEqual(expected, now);
      backfill = new BackfillRun(finalWatermark);
    } finally {
      job.cancel().get();
    }
    assertBackfillParity(phase1, good, backfill.finalWatermark());
  }

  /** What the backfill comparison needs from the streaming run. */
  private record BackfillRun(long finalWatermark) {}

  /**
   * The same events (without the late ones, which the stream set aside) backfilled in batch mode
   * into an empty database give the streaming job's offline rows exactly, for every window the
   * stream has made final.
   */
  private static void assertBackfillParity(
      List<ProducerRecord<String, String>> phase1, List<Ev> good, long finalWatermark)
      throws Exception {
    Path input = Files.createTempFile("freshet-backfill", ".jsonl");
    try {
      List<String> lines = new ArrayList<>();
      for (var r : phase1) {
        lines.add(r.value());
      }
      for (Ev e : good) {
        if (e.user().startsWith("sentinel_")) {
          lines.add(UserActivityOracle.json(e, new Random(1)));
        }
      }
      Files.write(input, lines);
      String backfillDb = TestPostgres.freshDatabase("freshet_backfill");
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
      env.setParallelism(2);
      BackfillCompiler.compile(
          env, List.of(PLAN), new BackfillSource.JsonLines(input.toString()), backfillDb, null);
      env.execute("backfill parity");
      String where =
          " WHERE superseded_at IS NULL AND feature_ts <= to_timestamp("
              + (finalWatermark + 1)
              + " / 1000.0)";
      List<String> streamed = rowsAsText(pgUrl, where);
      List<String> backfilled = rowsAsText(backfillDb, where);
      assertThat(streamed).hasSizeGreaterThan(200);
      assertThat(backfilled).containsExactlyElementsOf(streamed);
    } finally {
      Files.deleteIfExists(input);
    }
  }

  private static List<String> rowsAsText(String url, String where) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT entity_key, feature_ts, event_count_1h, purchase_count_1h, revenue_1h,"
                    + " session_count_1h, unique_products_1h, last_platform, conversion_rate_1h,"
                    + " avg_revenue_per_purchase_1h FROM "
                    + OfflineTable.of(PLAN).qualifiedName()
                    + where
                    + " ORDER BY entity_key, feature_ts")) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          sb.append(rs.getString(i)).append('|');
        }
        out.add(sb.toString());
      }
    }
    return out;
  }

  private static JobClient startJob() throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    env.enableCheckpointing(1000, CheckpointingMode.EXACTLY_ONCE);
    JobSettings settings =
        new JobSettings(
            TestKafka.bootstrapServers(),
            "freshet-e2e",
            JobSettings.StartingOffsets.EARLIEST,
            pgUrl,
            redisUrl,
            1000,
            5000);
    FeatureJobCompiler.compile(env, List.of(PLAN), settings);
    return env.executeAsync("freshet e2e");
  }

  private static void assertRejected(int malformed, List<Ev> late) throws SQLException {
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement()) {
      ResultSet rs =
          s.executeQuery(
              "SELECT count(*) FROM freshet.rejected_events WHERE kind = 'DEAD_LETTER'"
                  + " AND reason <> '' AND payload IS NOT NULL");
      rs.next();
      assertThat(rs.getInt(1)).as("dead letters kept with reason and payload").isEqualTo(malformed);
      rs =
          s.executeQuery(
              "SELECT event_ts FROM freshet.rejected_events WHERE kind = 'LATE'"
                  + " AND payload LIKE '%user_id%' ORDER BY event_ts");
      List<Long> lateTs = new ArrayList<>();
      while (rs.next()) {
        lateTs.add(rs.getTimestamp(1).getTime());
      }
      assertThat(lateTs).containsExactlyElementsOf(late.stream().map(Ev::ts).sorted().toList());
    }
  }

  private static void assertOnlineAndGatewayEqual(Map<String, List<Row>> expected, long now)
      throws Exception {
    long ttl = PLAN.ttl().toMillis();
    ObjectMapper json = new ObjectMapper();
    HttpClient http = HttpClient.newHttpClient();
    try (GatewayServer gateway =
        GatewayServer.start(
            new GatewayConfig(0, redisUrl, Catalog.of(List.of(UserActivity.view()))))) {
      int present = 0;
      int nonEmpty = 0;
      for (var entry : expected.entrySet()) {
        List<Row> rows = entry.getValue();
        Row last = rows.get(rows.size() - 1);
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + gateway.port()
                                + "/features/user_activity/"
                                + entry.getKey()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (last.featureTs() + ttl <= now) {
          assertThat(response.statusCode()).as("expired row of %s", last).isEqualTo(404);
          continue;
        }
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = json.readTree(response.body());
        assertThat(Instant.parse(body.get("feature_ts").asText()).toEpochMilli())
            .as("feature_ts of %s", entry.getKey())
            .isEqualTo(last.featureTs());
        JsonNode f = body.get("features");
        Row served =
            new Row(
                entry.getKey(),
                last.featureTs(),
                f.get("event_count_1h").asLong(),
                f.get("purchase_count_1h").asLong(),
                f.get("revenue_1h").decimalValue(),
                f.get("session_count_1h").asLong(),
                f.get("unique_products_1h").asLong(),
                f.get("last_platform").isNull() ? null : f.get("last_platform").asText());
        OfflineRowsAssert.assertSameValues(served, last);
        assertThat(f.get("conversion_rate_1h").asDouble())
            .isCloseTo(last.conversionRate(), Offset.offset(1e-12));
        assertThat(f.get("avg_revenue_per_purchase_1h").asDouble())
            .isCloseTo(last.avgRevenuePerPurchase(), Offset.offset(1e-6));
        present++;
        if (last.events() > 0) {
          nonEmpty++;
        }
      }
      assertThat(present).as("users served").isGreaterThan(40);
      assertThat(nonEmpty).as("users with a non-empty latest window").isGreaterThan(20);
    }
  }

  private static void awaitRejected(int atLeast, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    int count = -1;
    while (System.nanoTime() < deadline) {
      count =
          OfflineRowsAssert.countOrMinusOne(pgUrl, "SELECT count(*) FROM freshet.rejected_events");
      if (count >= atLeast) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("rejected_events has " + count + " rows, want " + atLeast);
  }

  private static String malformedEvent(Random r, long t) {
    return switch (r.nextInt(6)) {
      case 0 -> "{\"user_id\":\"user_1\",\"event_ts\":";
      case 1 -> "{\"event_type\":\"view\",\"event_ts\":" + t + "}";
      case 2 -> "{\"user_id\":\"user_2\",\"event_ts\":\"not a time\"}";
      case 3 ->
          "{\"user_id\":\"user_3\",\"event_type\":\"purchase\",\"revenue\":\"ten\","
              + "\"event_ts\":"
              + t
              + "}";
      case 4 -> "{\"user_id\":\"user_4\",\"event_ts\":\"2999-01-01T00:00:00Z\"}";
      default -> "[\"not\",\"an\",\"object\"]";
    };
  }

  private static int partitionOf(String user) {
    return Math.floorMod(user.hashCode(), PARTITIONS);
  }

  private static ProducerRecord<String, String> record(int partition, String value) {
    return new ProducerRecord<>(UserActivity.TOPIC, partition, null, value);
  }
}
