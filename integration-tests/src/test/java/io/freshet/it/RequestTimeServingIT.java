package io.freshet.it;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.countDistinct;
import static io.freshet.dsl.Aggregation.last;
import static io.freshet.dsl.Aggregation.sum;
import static io.freshet.dsl.Expression.ratio;
import static io.freshet.dsl.Expression.ref;
import static io.freshet.dsl.Filter.equalTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.dsl.DerivedFeature;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.examples.UserActivity;
import io.freshet.gateway.GatewayConfig;
import io.freshet.gateway.GatewayServer;
import io.freshet.offline.TileTable;
import io.freshet.online.EntityTiles;
import io.freshet.online.OnlineReader;
import io.freshet.online.StoredTile;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestKafka;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.freshet.testing.UserActivityOracle;
import io.freshet.training.FeatureSelection;
import io.freshet.training.LabelSource;
import io.freshet.training.TrainingSemantics;
import io.freshet.training.TrainingSetBuilder;
import io.freshet.training.TrainingSetManifest;
import io.freshet.training.TrainingSetOutput;
import io.freshet.training.TrainingSetRequest;
import io.lettuce.core.RedisClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zero training-serving skew, measured: the streaming job serves a request-time view from real
 * Kafka, Postgres and Redis while events flow (out of order, late within the allowed lateness, late
 * beyond it, malformed); the gateway's answers for many entities are recorded with the instants it
 * reports; then an {@code as-served} training set with labels at exactly those instants must hold
 * every answer's values, to the last bit.
 *
 * <p>The only labels not compared are those before the view's first served tile: the gateway had
 * nothing to serve yet, and the training set takes final values for them by design, counting them
 * in its manifest; the test checks that count against its own.
 */
class RequestTimeServingIT {
  private static final int PARTITIONS = 2;
  private static final int USERS = 60;

  /** How long the job may take to serve its first value (producing is timed from it). */
  private static final Duration FIRST_VALUE_WITHIN = Duration.ofMinutes(3);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final java.util.concurrent.atomic.AtomicInteger UNAVAILABLE =
      new java.util.concurrent.atomic.AtomicInteger();

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  static final FeatureView VIEW = view();
  static final ViewPlan PLAN = ViewPlan.of(VIEW);

  private static String pgUrl;
  private static String redisUrl;

  @TempDir Path dir;

  /** The example features over 1 and 5 minutes, at request time with 10 second tiles. */
  static FeatureView view() {
    SlidingWindow m1 = SlidingWindow.of(Duration.ofMinutes(1), Duration.ofMinutes(1));
    SlidingWindow m5 = SlidingWindow.of(Duration.ofMinutes(5), Duration.ofMinutes(1));
    return FeatureView.named("activity_now")
        .source(
            KafkaJsonSource.topic(UserActivity.TOPIC)
                .keyedBy("user_id")
                .eventTimeField("event_ts")
                .withMaxOutOfOrderness(Duration.ofSeconds(3))
                .withAllowedLateness(Duration.ofSeconds(30)))
        .feature(Feature.named("event_count_1m").aggregate(count()).over(m1))
        .feature(Feature.named("event_count_5m").aggregate(count()).over(m5))
        .feature(
            Feature.named("purchase_count_5m")
                .aggregate(count())
                .where(equalTo("event_type", "purchase"))
                .over(m5))
        .feature(
            Feature.named("revenue_5m")
                .aggregate(sum("revenue"))
                .where(equalTo("event_type", "purchase"))
                .over(m5))
        .feature(Feature.named("session_count_5m").aggregate(countDistinct("session_id")).over(m5))
        .feature(Feature.named("last_platform").aggregate(last("platform")).over(m5))
        .derived(
            DerivedFeature.named("conversion_rate_5m")
                .as(ratio(ref("purchase_count_5m"), ref("event_count_5m"), 0)))
        .ttl(Duration.ofMinutes(2))
        .servedAtRequestTime(Duration.ofSeconds(10))
        .build();
  }

  @BeforeAll
  static void servers() {
    TestKafka.createTopic(UserActivity.TOPIC, PARTITIONS);
    pgUrl = TestPostgres.freshDatabase("freshet_skew");
    redisUrl = TestRedis.uri(5);
    RedisClient redis = RedisClient.create(redisUrl);
    try {
      redis.connect().sync().flushdb();
    } finally {
      redis.shutdown();
    }
  }

  @AfterAll
  static void done() {}

  /** One entity of one gateway answer. */
  record Answer(String user, String instant, boolean found, List<JsonNode> values) {}

  @Test
  void an_as_served_training_set_holds_exactly_what_the_gateway_answered() throws Exception {
    JobClient job =
        ServedAnswers.startJob(PLAN, "freshet-skew", "freshet zero skew", pgUrl, redisUrl);
    List<Answer> answers = new ArrayList<>();
    int[] produced = new int[4]; // good, late within lateness, late beyond it, malformed
    try (GatewayServer gateway =
        GatewayServer.start(new GatewayConfig(0, redisUrl, Catalog.of(List.of(VIEW))))) {
      AtomicBoolean producing = new AtomicBoolean(true);
      AtomicLong servingSince = new AtomicLong();
      Thread producer =
          new Thread(
              () -> {
                try {
                  produce(Duration.ofSeconds(35), produced, servingSince);
                } finally {
                  producing.set(false);
                }
              },
              "skew-producer");
      producer.start();
      HttpClient http = HttpClient.newHttpClient();
      Random r = new Random(11);
      while (producing.get() || answers.size() < 1500) {
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          users.add(r.nextInt(20) == 0 ? "nobody_" + r.nextInt(5) : "user_" + r.nextInt(USERS));
        }
        List<Answer> asked = ask(http, gateway.port(), users);
        answers.addAll(asked);
        if (servingSince.get() == 0 && asked.stream().anyMatch(Answer::found)) {
          servingSince.set(System.currentTimeMillis());
        }
        Thread.sleep(15); // a steady trickle of lookups, as a model server would send
        if (!producing.get() && answers.size() > 4000) {
          break;
        }
      }
      producer.join();
      assertThat(servingSince.get())
          .as("the job served a first value within " + FIRST_VALUE_WITHIN)
          .isPositive();
    }
    try {
      awaitOfflineHoldsWhatIsOnline(Duration.ofSeconds(90));
    } finally {
      job.cancel().get();
    }

    Path labels = dir.resolve("labels.csv");
    StringBuilder csv = new StringBuilder("user_id,event_timestamp,answer\n");
    for (int i = 0; i < answers.size(); i++) {
      Answer a = answers.get(i);
      csv.append(a.user()).append(',').append(a.instant()).append(',').append(i).append('\n');
    }
    Files.writeString(labels, csv);
    List<String> features = PLAN.parts().stream().map(p -> PLAN.name() + ":" + p.name()).toList();
    TrainingSetManifest manifest =
        TrainingSetBuilder.open(Catalog.of(List.of(VIEW)), pgUrl)
            .build(
                TrainingSetRequest.of(
                        LabelSource.csv(labels),
                        FeatureSelection.of(features),
                        TrainingSetOutput.postgresTable("public.skew_as_served"))
                    .withSemantics(TrainingSemantics.AS_SERVED));
    assertThat(manifest.semantics()).isEqualTo(TrainingSemantics.AS_SERVED);
    Instant firstServed = manifest.views().get(0).firstServedAt();
    assertThat(firstServed).as("first served tile").isNotNull();

    List<Object[]> rows = ServedAnswers.readOutput(PLAN, pgUrl, "skew_as_served");
    TrainingSetBuilder.open(Catalog.of(List.of(VIEW)), pgUrl)
        .build(
            TrainingSetRequest.of(
                    LabelSource.csv(labels),
                    FeatureSelection.of(features),
                    TrainingSetOutput.postgresTable("public.skew_final"))
                .withSemantics(TrainingSemantics.FINAL));
    // For the figure only: how many answers final values (late events in, the open tile cut) would
    // have changed. It depends on how many events fall in each open tile, so it is printed, not
    // asserted.
    List<Object[]> finalRows = ServedAnswers.readOutput(PLAN, pgUrl, "skew_final");
    int finalDiffers = 0;
    assertThat(rows).hasSize(answers.size());
    Map<String, Integer> mismatches = new LinkedHashMap<>();
    int compared = 0;
    int found = 0;
    int notFound = 0;
    int beforeFirstServed = 0;
    Set<String> usersWithValues = new TreeSet<>();
    for (int i = 0; i < answers.size(); i++) {
      Answer a = answers.get(i);
      Object[] row = rows.get(i);
      assertThat(row[0]).isEqualTo(a.user());
      if (ServedAnswers.micros(a.instant()) < ServedAnswers.micros(firstServed)) {
        beforeFirstServed++;
        continue;
      }
      compared++;
      List<String> want = new ArrayList<>();
      List<String> got = new ArrayList<>();
      for (int p = 0; p < PLAN.parts().size(); p++) {
        want.add(a.found() ? ServedAnswers.normal(PLAN.parts().get(p), a.values().get(p)) : null);
        got.add(ServedAnswers.normal(PLAN.parts().get(p), row[1 + p]));
      }
      if (a.found()) {
        found++;
        usersWithValues.add(a.user());
      } else {
        notFound++;
      }
      List<String> fin = new ArrayList<>();
      for (int p = 0; p < PLAN.parts().size(); p++) {
        fin.add(ServedAnswers.normal(PLAN.parts().get(p), finalRows.get(i)[1 + p]));
      }
      if (!want.equals(fin)) {
        finalDiffers++;
      }
      if (!want.equals(got)) {
        mismatches.merge(
            a.user() + " at " + a.instant() + ": served " + want + ", training " + got,
            1,
            Integer::sum);
      }
    }
    System.out.printf(
        "zero-skew: %d answers (%d compared: %d with values, %d not found; %d before the first"
            + " served tile), %d users with values; events %d on time, %d late within lateness,"
            + " %d beyond it, %d malformed; %d mismatches; a final set differs from %d answers;"
            + " %d requests answered 503%n",
        answers.size(),
        compared,
        found,
        notFound,
        beforeFirstServed,
        usersWithValues.size(),
        produced[0],
        produced[1],
        produced[2],
        produced[3],
        mismatches.size(),
        finalDiffers,
        UNAVAILABLE.get());
    assertThat(mismatches).as("answers the training set does not reproduce").isEmpty();
    assertThat(manifest.views().get(0).labelsBeforeFirstServed())
        .as("labels before the first served tile, counted by the manifest")
        .isEqualTo(beforeFirstServed);
    assertThat(compared).isGreaterThanOrEqualTo(1000);
    assertThat(found).as("answers with values").isGreaterThan(600);
    assertThat(notFound).as("answers for entities never seen").isGreaterThan(20);
    assertThat(usersWithValues).as("entities with values").hasSizeGreaterThan(40);
  }

  /**
   * One POST /get-online-features for the users, every feature of the view; no answer (an empty
   * list) when the gateway said 503: Redis did not answer within the gateway's 250 ms command
   * timeout, which a machine running Kafka, Flink, both stores and the gateway at once can exceed
   * in a pause. A 503 serves no value, so there is nothing for a training set to reproduce.
   */
  private static List<Answer> ask(HttpClient http, int port, List<String> users) throws Exception {
    ObjectNode request = JSON.createObjectNode();
    ArrayNode features = request.putArray("features");
    for (FeaturePart p : PLAN.parts()) {
      features.add(PLAN.name() + ":" + p.name());
    }
    ArrayNode ids = request.putObject("entities").putArray("user_id");
    users.forEach(ids::add);
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/get-online-features"))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request)))
                .header("Content-Type", "application/json")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() == 503) {
      assertThat(response.body()).contains("online_store_unavailable");
      UNAVAILABLE.incrementAndGet();
      return List.of();
    }
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode results = JSON.readTree(response.body()).get("results");
    List<Answer> answers = new ArrayList<>();
    for (int r = 0; r < users.size(); r++) {
      List<JsonNode> values = new ArrayList<>();
      // results[0] is the join key column; features follow in request order.
      JsonNode first = results.get(1);
      String status = first.get("statuses").get(r).textValue();
      String instant = first.get("event_timestamps").get(r).textValue();
      for (int p = 0; p < PLAN.parts().size(); p++) {
        JsonNode column = results.get(1 + p);
        assertThat(column.get("statuses").get(r).textValue()).isEqualTo(status);
        assertThat(column.get("event_timestamps").get(r).textValue()).isEqualTo(instant);
        values.add(column.get("values").get(r));
      }
      assertThat(status).isIn("PRESENT", "NOT_FOUND");
      answers.add(new Answer(users.get(r), instant, status.equals("PRESENT"), values));
    }
    return answers;
  }

  /**
   * Events for the view's users at the wall clock, for the given time: most a little out of order,
   * some behind the watermark but within the allowed lateness, a few beyond it (rejected as late),
   * a few malformed (dead letters). Producing lasts {@code duration} from the first value served
   * ({@code servingSince}, epoch ms, 0 until then), or {@link #FIRST_VALUE_WITHIN} if none is: on a
   * loaded machine the job's tasks can take longer to start than the whole producing period.
   */
  private static void produce(Duration duration, int[] counts, AtomicLong servingSince) {
    Random r = new Random(3);
    long start = System.currentTimeMillis();
    try (KafkaProducer<String, String> producer = TestKafka.producer()) {
      while (true) {
        long since = servingSince.get();
        long end = since == 0 ? start + FIRST_VALUE_WITHIN.toMillis() : since + duration.toMillis();
        if (System.currentTimeMillis() >= end) {
          break;
        }
        long now = System.currentTimeMillis();
        for (int i = 0; i < 15; i++) {
          String user = "user_" + r.nextInt(USERS);
          double kind = r.nextDouble();
          String value;
          if (kind < 0.02) {
            value = "{\"user_id\":\"" + user + "\",\"event_ts\":\"not a time\"}";
            counts[3]++;
          } else {
            long ts;
            if (kind < 0.04) {
              ts = now - 10 * 60_000;
              counts[2]++;
            } else if (kind < 0.10) {
              ts = now - 8_000 - r.nextInt(15_000);
              counts[1]++;
            } else {
              ts = now - r.nextInt(2_500);
              counts[0]++;
            }
            value = UserActivityOracle.json(UserActivityOracle.randomEvent(r, user, ts), r);
          }
          producer.send(new ProducerRecord<>(UserActivity.TOPIC, user, value));
        }
        producer.flush();
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits until the offline tile history holds every tile version the online table holds: the
   * committer writes a committable online, then offline, so from then on the history has every
   * version any answer can have seen.
   */
  private static void awaitOfflineHoldsWhatIsOnline(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String missing = "nothing checked";
    try (OnlineReader online = OnlineReader.connect(redisUrl);
        Connection c = DriverManager.getConnection(pgUrl);
        PreparedStatement q =
            c.prepareStatement(
                "SELECT 1 FROM "
                    + TileTable.of(PLAN).qualifiedName()
                    + " WHERE entity_key = ? AND tile_start = to_timestamp(? / 1000.0)"
                    + " AND version = ?")) {
      online.requireConnected(Duration.ofSeconds(10));
      while (System.nanoTime() < deadline) {
        missing = null;
        int onlineTiles = 0;
        outer:
        for (int u = 0; u < USERS; u++) {
          String user = "user_" + u;
          EntityTiles tiles = online.awaitTiles(PLAN, user);
          for (StoredTile t : tiles.tiles()) {
            onlineTiles++;
            q.setString(1, user);
            q.setLong(2, t.start());
            q.setLong(3, t.version());
            try (ResultSet rs = q.executeQuery()) {
              if (!rs.next()) {
                missing = user + " tile " + t.start() + " v" + t.version();
                break outer;
              }
            }
          }
        }
        if (missing == null && onlineTiles == 0) {
          missing = "any tile: the online table holds none yet";
        }
        if (missing == null) {
          return;
        }
        Thread.sleep(200);
      }
    } catch (java.sql.SQLException e) {
      throw new AssertionError("offline tile history unreadable", e);
    }
    throw new AssertionError("the offline tile history still lacks " + missing);
  }
}
