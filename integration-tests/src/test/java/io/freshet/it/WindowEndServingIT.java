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
import io.freshet.gateway.GatewayConfig;
import io.freshet.gateway.GatewayServer;
import io.freshet.offline.OfflineTable;
import io.freshet.online.NewestWinsScript;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineReader;
import io.freshet.online.OnlineRow;
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
import java.nio.ByteBuffer;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zero training-serving skew for a window-end view, measured: the streaming job serves a view with
 * 2 second slides from real Kafka, Postgres and Redis while events flow (out of order, late within
 * the allowed lateness, late beyond it, malformed), so a window closes for an entity every slide;
 * some entities stop early and their rows reach the TTL. The gateway's answers for many entities
 * are recorded at the request instants it reports ({@code metadata.request_instants}); then an
 * {@code as-served} training set with labels at exactly those instants must hold every answer: the
 * values of a PRESENT row to the last bit, and no value where the gateway found no row or one
 * OUTSIDE_MAX_AGE (judged at the instant by the rule the training set applies).
 *
 * <p>Not compared: labels before the view's first served row (the training set takes final values
 * for them by design and counts them in its manifest; the test checks that count), and requests
 * answered 503 (no value served), which are counted.
 */
class WindowEndServingIT {
  private static final int PARTITIONS = 2;
  private static final int USERS = 60;

  /** Users from this index on stop sending events after {@link #EARLY_STOP}. */
  private static final int QUIET_FROM = 48;

  /** Events keep flowing this long after the gateway first answered with a value. */
  private static final Duration PRODUCING = Duration.ofSeconds(30);

  /**
   * How long the job may take to serve its first row: on a loaded machine the job's tasks can take
   * longer to start than the whole producing period, so producing is timed from the first value
   * served, not from the start.
   */
  private static final Duration FIRST_VALUE_WITHIN = Duration.ofMinutes(3);

  private static final Duration EARLY_STOP = Duration.ofSeconds(5);
  private static final String TOPIC = "window-end-serving";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger UNAVAILABLE = new AtomicInteger();

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  static final FeatureView VIEW = view();
  static final ViewPlan PLAN = ViewPlan.of(VIEW);

  @TempDir Path dir;

  /**
   * Activity features over 10 seconds sliding by 2; a TTL short enough that the quiet entities'
   * rows expire during the test, long enough that a checkpoint delayed by a loaded machine still
   * commits rows before they expire.
   */
  static FeatureView view() {
    SlidingWindow w = SlidingWindow.of(Duration.ofSeconds(10), Duration.ofSeconds(2));
    return FeatureView.named("activity_window_end")
        .source(
            KafkaJsonSource.topic(TOPIC)
                .keyedBy("user_id")
                .eventTimeField("event_ts")
                .withMaxOutOfOrderness(Duration.ofMillis(800))
                .withAllowedLateness(Duration.ofSeconds(6)))
        .feature(Feature.named("event_count_10s").aggregate(count()).over(w))
        .feature(
            Feature.named("purchase_count_10s")
                .aggregate(count())
                .where(equalTo("event_type", "purchase"))
                .over(w))
        .feature(
            Feature.named("revenue_10s")
                .aggregate(sum("revenue"))
                .where(equalTo("event_type", "purchase"))
                .over(w))
        .feature(Feature.named("session_count_10s").aggregate(countDistinct("session_id")).over(w))
        .feature(Feature.named("last_platform").aggregate(last("platform")).over(w))
        .derived(
            DerivedFeature.named("conversion_rate_10s")
                .as(ratio(ref("purchase_count_10s"), ref("event_count_10s"), 0)))
        .ttl(Duration.ofSeconds(12))
        .build();
  }

  /** One entity of one gateway answer: its row status and values at the reported instant. */
  record Answer(String user, String instant, String status, List<JsonNode> values) {}

  @Test
  void an_as_served_training_set_holds_exactly_what_the_gateway_answered() throws Exception {
    TestKafka.createTopic(TOPIC, PARTITIONS);
    String pgUrl = TestPostgres.freshDatabase("freshet_we_skew");
    String redisUrl = TestRedis.uri(8);
    RedisClient redis = RedisClient.create(redisUrl);
    try {
      redis.connect().sync().flushdb();
    } finally {
      redis.shutdown();
    }
    JobClient job =
        ServedAnswers.startJob(
            PLAN, "freshet-window-end-skew", "freshet window-end zero skew", pgUrl, redisUrl);
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
                  produce(produced, servingSince);
                } finally {
                  producing.set(false);
                }
              },
              "window-end-producer");
      producer.start();
      HttpClient http = HttpClient.newHttpClient();
      Random r = new Random(17);
      while (producing.get() || answers.size() < 1500) {
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          users.add(r.nextInt(20) == 0 ? "nobody_" + r.nextInt(5) : "user_" + r.nextInt(USERS));
        }
        List<Answer> asked = ask(http, gateway.port(), users);
        answers.addAll(asked);
        if (servingSince.get() == 0 && asked.stream().anyMatch(a -> a.status().equals("PRESENT"))) {
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
      awaitOfflineHoldsWhatIsOnline(pgUrl, redisUrl, Duration.ofSeconds(90));
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
                        TrainingSetOutput.postgresTable("public.we_as_served"))
                    .withSemantics(TrainingSemantics.AS_SERVED));
    assertThat(manifest.semantics()).isEqualTo(TrainingSemantics.AS_SERVED);
    Instant firstServed = manifest.views().get(0).firstServedAt();
    assertThat(firstServed).as("first served row").isNotNull();

    List<Object[]> rows = ServedAnswers.readOutput(PLAN, pgUrl, "we_as_served");
    assertThat(rows).hasSize(answers.size());
    Map<String, Integer> mismatches = new LinkedHashMap<>();
    Map<String, Integer> byStatus = new LinkedHashMap<>();
    int compared = 0;
    int beforeFirstServed = 0;
    Set<String> usersWithValues = new TreeSet<>();
    Set<String> instants = new TreeSet<>();
    for (int i = 0; i < answers.size(); i++) {
      Answer a = answers.get(i);
      Object[] row = rows.get(i);
      assertThat(row[0]).isEqualTo(a.user());
      if (ServedAnswers.micros(a.instant()) < ServedAnswers.micros(firstServed)) {
        beforeFirstServed++;
        continue;
      }
      compared++;
      instants.add(a.instant());
      byStatus.merge(a.status(), 1, Integer::sum);
      boolean present = a.status().equals("PRESENT");
      if (present) {
        usersWithValues.add(a.user());
      }
      List<String> want = new ArrayList<>();
      List<String> got = new ArrayList<>();
      for (int p = 0; p < PLAN.parts().size(); p++) {
        want.add(present ? ServedAnswers.normal(PLAN.parts().get(p), a.values().get(p)) : null);
        got.add(ServedAnswers.normal(PLAN.parts().get(p), row[1 + p]));
      }
      if (!want.equals(got)) {
        mismatches.merge(
            a.user()
                + " at "
                + a.instant()
                + " ("
                + a.status()
                + "): served "
                + want
                + ", training "
                + got,
            1,
            Integer::sum);
      }
    }
    System.out.printf(
        "window-end zero-skew: %d answers (%d compared at %d distinct instants, by status %s;"
            + " %d before the first served row), %d users with values; events %d on time,"
            + " %d late within lateness, %d beyond it, %d malformed; %d mismatches;"
            + " %d requests answered 503%n",
        answers.size(),
        compared,
        instants.size(),
        byStatus,
        beforeFirstServed,
        usersWithValues.size(),
        produced[0],
        produced[1],
        produced[2],
        produced[3],
        mismatches.size(),
        UNAVAILABLE.get());
    assertThat(mismatches).as("answers the training set does not reproduce").isEmpty();
    assertThat(manifest.views().get(0).labelsBeforeFirstServed())
        .as("labels before the first served row, counted by the manifest")
        .isEqualTo(beforeFirstServed);
    assertThat(compared).isGreaterThanOrEqualTo(1000);
    assertThat(byStatus.getOrDefault("PRESENT", 0)).as("answers with values").isGreaterThan(600);
    assertThat(byStatus.getOrDefault("NOT_FOUND", 0)).as("answers without a row").isGreaterThan(20);
    assertThat(usersWithValues).as("entities with values").hasSizeGreaterThan(40);
  }

  /**
   * One POST /get-online-features for the users, every feature of the view; no answer (an empty
   * list) when the gateway said 503 (Redis did not answer within the gateway's command timeout): a
   * 503 serves no value, so there is nothing for a training set to reproduce.
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
    JsonNode body = JSON.readTree(response.body());
    JsonNode results = body.get("results");
    JsonNode instants = body.get("metadata").get("request_instants");
    assertThat(instants).hasSize(users.size());
    List<Answer> answers = new ArrayList<>();
    for (int r = 0; r < users.size(); r++) {
      String instant = instants.get(r).textValue();
      String status = null;
      String eventTs = null;
      List<JsonNode> values = new ArrayList<>();
      for (int p = 0; p < PLAN.parts().size(); p++) {
        // results[0] is the join key column; features follow in request order.
        JsonNode column = results.get(1 + p);
        String s = column.get("statuses").get(r).textValue();
        String rowStatus = s.equals("NULL_VALUE") ? "PRESENT" : s;
        if (status == null) {
          status = rowStatus;
          eventTs = column.get("event_timestamps").get(r).textValue();
        }
        assertThat(rowStatus).as("one row, one status").isEqualTo(status);
        assertThat(column.get("event_timestamps").get(r).textValue()).isEqualTo(eventTs);
        values.add(column.get("values").get(r));
      }
      assertThat(status).isIn("PRESENT", "NOT_FOUND", "OUTSIDE_MAX_AGE");
      if (!status.equals("NOT_FOUND")) {
        // the status is the training set's rule at the reported instant
        long expiry = ServedAnswers.micros(eventTs) + PLAN.ttl().toNanos() / 1000;
        assertThat(status)
            .as("%s at %s, window end %s", users.get(r), instant, eventTs)
            .isEqualTo(expiry <= ServedAnswers.micros(instant) ? "OUTSIDE_MAX_AGE" : "PRESENT");
      }
      answers.add(new Answer(users.get(r), instant, status, values));
    }
    return answers;
  }

  /**
   * Events at the wall clock: most a little out of order, some behind the watermark but within the
   * allowed lateness, a few beyond it (rejected as late), a few malformed (dead letters); the quiet
   * users only for the first seconds.
   */
  /**
   * Events until {@link #PRODUCING} after the first value served ({@code servingSince}, epoch ms, 0
   * until then), or until {@link #FIRST_VALUE_WITHIN} if none is served.
   */
  private static void produce(int[] counts, AtomicLong servingSince) {
    Random r = new Random(5);
    long start = System.currentTimeMillis();
    try (KafkaProducer<String, String> producer = TestKafka.producer()) {
      while (true) {
        long since = servingSince.get();
        long end =
            since == 0 ? start + FIRST_VALUE_WITHIN.toMillis() : since + PRODUCING.toMillis();
        if (System.currentTimeMillis() >= end) {
          break;
        }
        long now = System.currentTimeMillis();
        int users = now - start < EARLY_STOP.toMillis() ? USERS : QUIET_FROM;
        for (int i = 0; i < 15; i++) {
          String user = "user_" + r.nextInt(users);
          double kind = r.nextDouble();
          String value;
          if (kind < 0.02) {
            value = "{\"user_id\":\"" + user + "\",\"event_ts\":\"not a time\"}";
            counts[3]++;
          } else {
            long ts;
            if (kind < 0.04) {
              ts = now - 60_000;
              counts[2]++;
            } else if (kind < 0.12) {
              ts = now - 1_500 - r.nextInt(4_000);
              counts[1]++;
            } else {
              ts = now - r.nextInt(700);
              counts[0]++;
            }
            value = UserActivityOracle.json(UserActivityOracle.randomEvent(r, user, ts), r);
          }
          producer.send(new ProducerRecord<>(TOPIC, user, value));
        }
        producer.flush();
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits until the offline history holds every row the online table holds, with the stamp the
   * online table gave it as its {@code visible_at}: the committer writes a checkpoint's rows
   * online, then offline, so from then on the history has every row any answer can have seen.
   */
  private static void awaitOfflineHoldsWhatIsOnline(String pgUrl, String redisUrl, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String missing = "nothing checked";
    try (OnlineReader online = OnlineReader.connect(redisUrl);
        Connection c = DriverManager.getConnection(pgUrl);
        PreparedStatement q =
            c.prepareStatement(
                "SELECT 1 FROM "
                    + OfflineTable.of(PLAN).qualifiedName()
                    + " WHERE entity_key = ? AND feature_ts = to_timestamp(? / 1000.0)"
                    + " AND visible_at = timestamptz 'epoch' + ? * interval '1 microsecond'")) {
      online.requireConnected(Duration.ofSeconds(10));
      while (System.nanoTime() < deadline) {
        missing = null;
        int onlineRows = 0;
        for (int u = 0; u < USERS && missing == null; u++) {
          String user = "user_" + u;
          OnlineRow row = online.awaitRow(PLAN, user);
          if (row.value() == null) {
            continue;
          }
          onlineRows++;
          byte[] v = row.value();
          long stamp = ByteBuffer.wrap(v, v.length - NewestWinsScript.STAMP_BYTES, 8).getLong();
          q.setString(1, user);
          q.setLong(2, OnlineCodec.featureTs(v));
          q.setLong(3, stamp);
          try (ResultSet rs = q.executeQuery()) {
            if (!rs.next()) {
              missing = user + " row " + OnlineCodec.featureTs(v) + " visible at " + stamp;
            }
          }
        }
        if (missing == null && onlineRows == 0) {
          missing = "any row: the online table holds none yet";
        }
        if (missing == null) {
          return;
        }
        Thread.sleep(200);
      }
    } catch (java.sql.SQLException e) {
      throw new AssertionError("offline history unreadable", e);
    }
    throw new AssertionError("the offline history still lacks " + missing);
  }
}
