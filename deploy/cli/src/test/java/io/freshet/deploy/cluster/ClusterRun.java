package io.freshet.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.deploy.flink.JarRunRequest;
import io.freshet.deploy.stack.FlinkClusterConfig;
import io.freshet.deploy.stack.FlinkSessionCluster;
import io.freshet.deploy.stack.Installation;
import io.freshet.deploy.stack.KafkaBroker;
import io.freshet.deploy.stack.Ports;
import io.freshet.deploy.stack.SupervisedJob;
import io.freshet.examples.UserActivity;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.TileTable;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.freshet.testing.UserActivityOracle;
import io.freshet.testing.UserActivityOracle.Ev;
import io.freshet.testing.UserActivityOracle.Row;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.assertj.core.data.Offset;

/**
 * What the cluster tests share: a broker with a two-partition {@code user-events} topic, a Flink
 * session cluster from the copied classpaths (extra TaskManagers on demand), a fresh Postgres
 * database and Redis db, the real job jar submitted over REST, generated events, and the checks of
 * both tables against {@link UserActivityOracle}.
 */
final class ClusterRun implements AutoCloseable {
  static final long MIN = 60_000L;
  static final long BOUND = 10 * MIN;
  static final int PARTITIONS = 2;
  static final ViewPlan PLAN = ViewPlan.of(UserActivity.view());

  /** The request-time example view, which a test may run beside {@link #PLAN}. */
  static final ViewPlan LIVE = ViewPlan.of(UserActivity.liveView());

  private static final ObjectMapper JSON = new ObjectMapper();

  final Installation installation = Installation.fromSystemProperties();
  final String pgUrl;
  final String redisUrl;
  final KafkaBroker broker;
  final FlinkSessionCluster cluster;
  final FlinkRestClient rest;
  private final RedisClient redis;
  private final KafkaProducer<String, String> producer;
  private final HttpClient http = HttpClient.newHttpClient();
  private String jarId;

  /** The generated events, each with its partition, and the oracle's input. */
  final List<ProducerRecord<String, String>> records = new ArrayList<>();

  final List<Ev> good = new ArrayList<>();

  /** Where each event of {@link #good} landed ({@code topic/partition@offset}), once produced. */
  private final Map<Integer, String> origins = new HashMap<>();

  private long maxTs;

  /** The views the submitted job runs, comma-separated. */
  String views = PLAN.name();

  /**
   * @param slotsPerTaskManager slots of every TaskManager
   * @param taskManagers how many TaskManagers to start
   */
  ClusterRun(Path work, String dbPrefix, int redisDb, int slotsPerTaskManager, int taskManagers) {
    pgUrl = TestPostgres.freshDatabase(dbPrefix);
    redisUrl = TestRedis.uri(redisDb);
    redis = RedisClient.create(redisUrl);
    try (StatefulRedisConnection<String, String> c = redis.connect()) {
      c.sync().flushdb();
    }
    KafkaBroker b = null;
    FlinkSessionCluster f = null;
    try {
      b = KafkaBroker.start(installation.kafkaClasspath(), work, Ports.free());
      b.createTopic(UserActivity.TOPIC, PARTITIONS);
      f =
          FlinkSessionCluster.start(
              installation.flinkClasspath(),
              work,
              new FlinkClusterConfig(
                  Ports.free(),
                  Ports.free(),
                  work.resolve("flink/data"),
                  slotsPerTaskManager,
                  "1280m",
                  "1024m"));
      for (int i = 1; i < taskManagers; i++) {
        f.startTaskManager();
      }
    } catch (RuntimeException e) {
      if (f != null) {
        f.close();
      }
      if (b != null) {
        b.close();
      }
      redis.shutdown();
      throw e;
    }
    broker = b;
    cluster = f;
    rest = f.rest();
    producer = producer(b.bootstrapServers());
    awaitTaskManagers(taskManagers, slotsPerTaskManager * taskManagers, Duration.ofSeconds(60));
  }

  private final long started = System.nanoTime();

  /** Prints a step and the seconds since the start, so a run's log shows where time goes. */
  void step(String what) {
    System.out.printf("[cluster-test] %6.1f s  %s%n", (System.nanoTime() - started) / 1e9, what);
  }

  /** Waits until this many TaskManagers and slots are registered. */
  void awaitTaskManagers(int taskManagers, int slots, Duration timeout) {
    await(
        "TaskManagers " + taskManagers + " with " + slots + " slots (" + rest.overview() + ")",
        timeout,
        () -> {
          var o = rest.overview();
          return o.taskManagers() == taskManagers && o.slotsTotal() == slots;
        });
  }

  /**
   * Generates {@code count} events of {@code users} users, in order per partition, each at most 8
   * minutes behind the newest before it (inside the 10 minute bound: nothing is late), ending a few
   * minutes before now so that no online row has expired.
   */
  void generate(long seed, int count, int users) {
    Random random = new Random(seed);
    long now = System.currentTimeMillis();
    long span = 360 * MIN;
    long t = now - span - 15 * MIN;
    long step = 2 * span / count;
    for (int i = 0; i < count; i++) {
      t += random.nextLong(step + 1);
      String user = "user_" + random.nextInt(users);
      long ts = t - (long) (random.nextDouble() * 8 * MIN);
      Ev e = UserActivityOracle.randomEvent(random, user, ts);
      good.add(e);
      maxTs = Math.max(maxTs, ts);
      records.add(record(partitionOf(user), UserActivityOracle.json(e, random)));
    }
  }

  /** Sends {@code records[from, to)} and waits until the broker has them; fails if it has not. */
  void produce(int from, int to) {
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    for (var r : records.subList(from, to)) {
      sent.add(producer.send(r));
    }
    producer.flush();
    try {
      for (int i = 0; i < sent.size(); i++) {
        origins.put(from + i, origin(sent.get(i).get()));
      }
    } catch (ExecutionException e) {
      throw new AssertionError("the broker did not take an event: " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while producing", e);
    }
  }

  /**
   * Sends one sentinel per partition at the same time, a minute past every event, so that the final
   * watermark is the same whichever partition goes idle first; returns that watermark.
   */
  long produceSentinels() {
    long end = maxTs + MIN;
    Random random = new Random(1);
    Map<Integer, Future<RecordMetadata>> sent = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      Ev s = new Ev("sentinel_" + p, end, "view", null, "s", null, "web");
      good.add(s);
      sent.put(good.size() - 1, producer.send(record(p, UserActivityOracle.json(s, random))));
    }
    producer.flush();
    try {
      for (var e : sent.entrySet()) {
        origins.put(e.getKey(), origin(e.getValue().get()));
      }
    } catch (ExecutionException e) {
      throw new AssertionError("the broker did not take a sentinel: " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while producing", e);
    }
    return end - BOUND - 1;
  }

  // ---------------------------------------------------------------- the job over REST

  /** Uploads the job jar (once) and runs it; the job id, once every task runs. */
  String submit(int parallelism, String savepoint) {
    if (jarId == null) {
      jarId = rest.uploadJar(installation.jobJar());
    }
    String jobId = rest.runJar(jarId, runRequest(parallelism, savepoint));
    rest.awaitRunning(jobId, Duration.ofSeconds(90));
    return jobId;
  }

  /**
   * Submits the job as the demo does, for a supervisor to resubmit from its newest checkpoint; once
   * every task runs.
   */
  SupervisedJob submitSupervised(int parallelism) {
    SupervisedJob job =
        SupervisedJob.submit(
            rest,
            installation.jobJar(),
            runRequest(parallelism, null),
            cluster.config().checkpointsDir());
    rest.awaitRunning(job.id(), Duration.ofSeconds(90));
    return job;
  }

  private JarRunRequest runRequest(int parallelism, String savepoint) {
    List<String> args =
        List.of(
            "--views",
            views,
            "--kafka",
            broker.bootstrapServers(),
            "--pg-url",
            pgUrl,
            "--redis-url",
            redisUrl,
            "--checkpoint-interval",
            "1000",
            "--starting-offsets",
            "earliest");
    return new JarRunRequest("io.freshet.flink.FeatureJob", args, parallelism, savepoint, false);
  }

  /** The ids of the TaskManagers registered now (dead ones too, until the JobManager notices). */
  Set<String> taskManagerIds() {
    Set<String> ids = new HashSet<>();
    get("/taskmanagers").path("taskmanagers").forEach(tm -> ids.add(tm.path("id").asText()));
    return ids;
  }

  /**
   * True when the job and every one of its tasks is RUNNING, and none of them on a TaskManager in
   * {@code old}.
   */
  boolean runsOnlyOnNewTaskManagers(String jobId, Set<String> old) {
    Optional<JsonNode> job = tryGet("/jobs/" + jobId);
    if (job.isEmpty() || !"RUNNING".equals(job.get().path("state").asText())) {
      return false;
    }
    for (JsonNode vertex : job.get().path("vertices")) {
      int running = 0;
      Optional<JsonNode> tms =
          tryGet("/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/taskmanagers");
      if (tms.isEmpty()) {
        return false;
      }
      for (JsonNode tm : tms.get().path("taskmanagers")) {
        int n = tm.path("status-counts").path("RUNNING").asInt();
        String id = tm.path("taskmanager-id").asText("");
        assertThat(id).as("taskmanager-id in %s", tm).isNotEmpty();
        if (n > 0 && old.contains(id)) {
          return false;
        }
        running += n;
      }
      if (running != vertex.path("parallelism").asInt()) {
        return false;
      }
    }
    return true;
  }

  /** How many records the topic holds: the sum of its partitions' end offsets. */
  long topicRecords() throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int i = 0; i < PARTITIONS; i++) {
        latest.put(new TopicPartition(UserActivity.TOPIC, i), OffsetSpec.latest());
      }
      return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream()
          .mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset)
          .sum();
    }
  }

  /** Stops the job with a savepoint (no drain: windows stay open in it); the savepoint's path. */
  String stopWithSavepoint(String jobId) {
    String trigger = rest.stopWithSavepoint(jobId, null, false);
    String location = rest.awaitSavepoint(jobId, trigger, Duration.ofSeconds(60));
    assertThat(rest.awaitTerminal(jobId, Duration.ofSeconds(60))).isEqualTo("FINISHED");
    return location;
  }

  /** {@code GET path} of the REST API as JSON. */
  JsonNode get(String path) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(rest.baseUri() + path))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
      return JSON.readTree(r.body());
    } catch (java.io.IOException e) {
      throw new AssertionError("GET " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** {@code GET path} as JSON, or empty when the REST API does not answer 200 (yet). */
  Optional<JsonNode> tryGet(String path) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(rest.baseUri() + path))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? Optional.of(JSON.readTree(r.body())) : Optional.empty();
    } catch (java.io.IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Completed checkpoints of the job so far. */
  long completedCheckpoints(String jobId) {
    return get("/jobs/" + jobId + "/checkpoints").path("counts").path("completed").asLong();
  }

  void awaitCheckpointsAbove(String jobId, long completed, Duration timeout) {
    await(
        "a checkpoint of job " + jobId + " after the " + completed + " completed before",
        timeout,
        () ->
            tryGet("/jobs/" + jobId + "/checkpoints")
                    .map(n -> n.path("counts").path("completed").asLong())
                    .orElse(-1L)
                > completed);
  }

  // ---------------------------------------------------------------- the tables

  int offlineRows() {
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT count(*) FROM " + OfflineTable.of(PLAN).qualifiedName())) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      return -1;
    }
  }

  /** Waits until the offline table holds at least this many rows (current or superseded). */
  void awaitOfflineRows(int atLeast, Duration timeout) {
    await("offline rows >= " + atLeast, timeout, () -> offlineRows() >= atLeast);
  }

  /** Waits until the current offline rows equal the oracle's count, then checks both tables. */
  void assertTablesEqualOracle(long finalWatermark, Duration timeout) throws Exception {
    Map<String, List<Row>> expected = UserActivityOracle.rows(good, finalWatermark);
    int want = expected.values().stream().mapToInt(List::size).sum();
    assertThat(want).as("oracle rows").isGreaterThan(1000);
    await(
        "current offline rows == " + want,
        timeout,
        () -> currentRows(finalWatermark) >= want && onlineHasLatest(expected));
    assertOfflineEquals(expected, finalWatermark);
    assertOnlineEquals(expected);
  }

  private int currentRows(long finalWatermark) {
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM "
                    + OfflineTable.of(PLAN).qualifiedName()
                    + " WHERE superseded_at IS NULL AND feature_ts <= to_timestamp("
                    + (finalWatermark + 1)
                    + " / 1000.0)")) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      return -1;
    }
  }

  private boolean onlineHasLatest(Map<String, List<Row>> expected) {
    try (StatefulRedisConnection<byte[], byte[]> c = redis.connect(ByteArrayCodec.INSTANCE)) {
      for (var entry : expected.entrySet()) {
        Row last = entry.getValue().get(entry.getValue().size() - 1);
        if (expired(last)) {
          continue;
        }
        byte[] v = c.sync().get(OnlineKeys.keyBytes(PLAN, entry.getKey()));
        if (v == null || OnlineCodec.featureTs(v) < last.featureTs()) {
          return false;
        }
      }
      return true;
    }
  }

  private static boolean expired(Row row) {
    return row.featureTs() + PLAN.ttl().toMillis() <= System.currentTimeMillis() + 60_000;
  }

  private void assertOfflineEquals(Map<String, List<Row>> expected, long finalWatermark)
      throws SQLException {
    Map<String, List<UserActivityOracle.StoredRow>> stored =
        UserActivityOracle.storedRows(pgUrl, OfflineTable.of(PLAN).qualifiedName());
    Map<String, List<Row>> actual = new TreeMap<>();
    Map<String, List<double[]>> derived = new TreeMap<>();
    stored.forEach(
        (user, rows) -> {
          actual.put(user, rows.stream().map(UserActivityOracle.StoredRow::row).toList());
          derived.put(
              user,
              rows.stream()
                  .map(r -> new double[] {r.conversionRate(), r.avgRevenuePerPurchase()})
                  .toList());
        });
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    for (String user : expected.keySet()) {
      List<Row> want = expected.get(user);
      List<Row> got = actual.get(user);
      assertThat(got.stream().map(Row::featureTs).toList())
          .as("window ends of %s (final watermark %s)", user, Instant.ofEpochMilli(finalWatermark))
          .containsExactlyElementsOf(want.stream().map(Row::featureTs).toList());
      for (int i = 0; i < want.size(); i++) {
        assertSameValues(got.get(i), want.get(i));
        double[] d = derived.get(user).get(i);
        assertThat(d[0])
            .as("conversion_rate_1h of %s", want.get(i))
            .isCloseTo(want.get(i).conversionRate(), Offset.offset(1e-12));
        assertThat(d[1])
            .as("avg_revenue_per_purchase_1h of %s", want.get(i))
            .isCloseTo(want.get(i).avgRevenuePerPurchase(), Offset.offset(1e-6));
      }
    }
  }

  private void assertOnlineEquals(Map<String, List<Row>> expected) {
    OnlineCodec codec = new OnlineCodec(PLAN);
    int present = 0;
    try (StatefulRedisConnection<byte[], byte[]> c = redis.connect(ByteArrayCodec.INSTANCE)) {
      for (var entry : expected.entrySet()) {
        List<Row> rows = entry.getValue();
        Row last = rows.get(rows.size() - 1);
        if (expired(last)) {
          continue;
        }
        byte[] bytes = c.sync().get(OnlineKeys.keyBytes(PLAN, entry.getKey()));
        assertThat(bytes).as("online row of %s", entry.getKey()).isNotNull();
        FeatureRow r = codec.decode(entry.getKey(), bytes);
        assertThat(r.featureTs()).as("online feature_ts of %s", last).isEqualTo(last.featureTs());
        Object[] v = r.values();
        Row served =
            new Row(
                entry.getKey(),
                r.featureTs(),
                (Long) v[0],
                (Long) v[1],
                BigDecimal.valueOf((Double) v[2]),
                (Long) v[3],
                (Long) v[4],
                (String) v[5]);
        assertSameValues(served, last);
        assertThat((Double) v[6]).isCloseTo(last.conversionRate(), Offset.offset(1e-12));
        assertThat((Double) v[7]).isCloseTo(last.avgRevenuePerPurchase(), Offset.offset(1e-6));
        present++;
      }
    }
    assertThat(present).as("users with an online row").isGreaterThan(expected.size() / 2);
  }

  private static void assertSameValues(Row got, Row want) {
    assertThat(got.events()).as("event_count_1h of %s", want).isEqualTo(want.events());
    assertThat(got.purchases()).as("purchase_count_1h of %s", want).isEqualTo(want.purchases());
    assertThat(got.revenue().doubleValue())
        .as("revenue_1h of %s", want)
        .isCloseTo(want.revenue().doubleValue(), Offset.offset(1e-6));
    assertThat(got.sessions()).as("session_count_1h of %s", want).isEqualTo(want.sessions());
    assertThat(got.products()).as("unique_products_1h of %s", want).isEqualTo(want.products());
    assertThat(got.lastPlatform()).as("last_platform of %s", want).isEqualTo(want.lastPlatform());
  }

  // ---------------------------------------------------------------- the tiles of LIVE

  /** One version of one tile in the tile history of {@link #LIVE}. */
  record TileVersion(String user, long start, long version, long visibleMicros, byte[] payload) {}

  /** Every version in the tile history of {@link #LIVE}; none if there is no table yet. */
  List<TileVersion> tileHistory() {
    List<TileVersion> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT entity_key, (extract(epoch from tile_start) * 1000)::bigint, version,"
                    + " coalesce((extract(epoch from visible_at) * 1000000)::bigint, -1), payload"
                    + " FROM "
                    + TileTable.of(LIVE).qualifiedName())) {
      while (rs.next()) {
        out.add(
            new TileVersion(
                rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getBytes(5)));
      }
    } catch (SQLException e) {
      if (!"42P01".equals(e.getSQLState())) {
        throw new AssertionError("reading the tile history: " + e, e);
      }
    }
    return out;
  }

  /** The newest version of each (user, tile start) in {@code history}. */
  static Map<String, TileVersion> newest(List<TileVersion> history) {
    Map<String, TileVersion> out = new TreeMap<>();
    for (TileVersion v : history) {
      out.merge(v.user() + "@" + v.start(), v, (a, b) -> a.version() >= b.version() ? a : b);
    }
    return out;
  }

  /** The origins of the events {@link #LIVE} rejected as late. */
  Set<String> lateForLive() {
    Set<String> out = new HashSet<>();
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT origin FROM freshet.rejected_events WHERE kind = 'LATE' AND view_name = '"
                    + LIVE.name()
                    + "'")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    } catch (SQLException e) {
      if (!"42P01".equals(e.getSQLState())) {
        throw new AssertionError("reading the rejected events: " + e, e);
      }
    }
    return out;
  }

  /**
   * Events {@link #LIVE} has accounted for in what is committed: folded into a tile version of the
   * tile history (the newest versions' sum) or rejected as late.
   */
  long liveEventsAccounted() {
    long folded = newest(tileHistory()).values().stream().mapToLong(TileVersion::version).sum();
    return folded + lateForLive().size();
  }

  /**
   * Waits until {@link #LIVE} has accounted for every event produced so far. If it does not, says
   * how many it accounted for and how many late events were stored without their origin (those
   * collapse into one row per view and cannot be told apart).
   */
  void awaitLiveAccountedFor(Duration timeout) {
    int produced = origins.size();
    String what =
        "tile versions and late events of "
            + LIVE.name()
            + " accounting for "
            + produced
            + " events";
    try {
      await(what, timeout, () -> liveEventsAccounted() >= produced);
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage()
              + ": "
              + liveEventsAccounted()
              + " accounted for, "
              + lateForLive().stream().filter(o -> !o.contains("@")).count()
              + " late-event rows without an origin (one row however many events)",
          e);
    }
  }

  /**
   * Once {@link #LIVE} has accounted for every produced event: the newest version of each tile in
   * the history equals the number of accepted events (produced, not rejected as late) in it, brute
   * force; no version is stored twice; every tile still online holds the newest version of the
   * history, with its payload and visibility instant. Returns how many tiles were online.
   */
  int assertTilesEqualBruteForce(Duration timeout) {
    awaitLiveAccountedFor(timeout);
    Set<String> late = lateForLive();
    Map<String, Long> counts = new TreeMap<>();
    int accepted = 0;
    for (var e : origins.entrySet()) {
      if (late.contains(e.getValue())) {
        continue;
      }
      Ev ev = good.get(e.getKey());
      counts.merge(ev.user() + "@" + Math.floorDiv(ev.ts(), MIN) * MIN, 1L, Long::sum);
      accepted++;
    }
    assertThat(accepted).as("events accepted by %s", LIVE.name()).isGreaterThan(good.size() / 4);
    List<TileVersion> history = tileHistory();
    assertThat(
            history.stream()
                .map(v -> v.user() + "@" + v.start() + " v" + v.version())
                .distinct()
                .count())
        .as("versions stored twice")
        .isEqualTo(history.size());
    Map<String, TileVersion> newest = newest(history);
    Map<String, Long> newestVersions = new TreeMap<>();
    newest.forEach((k, v) -> newestVersions.put(k, v.version()));
    assertThat(newestVersions)
        .as("newest tile versions = accepted events per tile")
        .isEqualTo(counts);

    int online = 0;
    try (StatefulRedisConnection<byte[], byte[]> c = redis.connect(ByteArrayCodec.INSTANCE)) {
      for (String user :
          counts.keySet().stream().map(k -> k.substring(0, k.indexOf('@'))).distinct().toList()) {
        Map<byte[], byte[]> hash = c.sync().hgetall(OnlineKeys.keyBytes(LIVE, user));
        for (var f : hash.entrySet()) {
          String key = user + "@" + new String(f.getKey(), StandardCharsets.US_ASCII);
          byte[] value = f.getValue();
          String text = new String(value, StandardCharsets.ISO_8859_1);
          int c1 = text.indexOf(':');
          int c2 = text.indexOf(':', c1 + 1);
          long version = Long.parseLong(text.substring(0, c1));
          long stamp = Long.parseLong(text.substring(c1 + 1, c2));
          byte[] payload = java.util.Arrays.copyOfRange(value, c2 + 1, value.length);
          TileVersion want = newest.get(key);
          assertThat(want).as("tile %s online but not in the history", key).isNotNull();
          assertThat(version).as("online version of %s", key).isEqualTo(want.version());
          assertThat(stamp)
              .as("online stamp of %s = visible_at", key)
              .isEqualTo(want.visibleMicros());
          assertThat(payload).as("online payload of %s", key).isEqualTo(want.payload());
          online++;
        }
      }
    }
    assertThat(online).as("tiles online").isPositive();
    return online;
  }

  // ---------------------------------------------------------------- helpers

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
    throw new AssertionError("no " + what + " within " + timeout.toSeconds() + " s");
  }

  private static String origin(RecordMetadata m) {
    return m.topic() + "/" + m.partition() + "@" + m.offset();
  }

  private static int partitionOf(String user) {
    return Math.floorMod(user.hashCode(), PARTITIONS);
  }

  private static ProducerRecord<String, String> record(int partition, String value) {
    return new ProducerRecord<>(UserActivity.TOPIC, partition, null, value);
  }

  private static KafkaProducer<String, String> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    return new KafkaProducer<>(p);
  }

  @Override
  public void close() {
    try {
      producer.close(Duration.ofSeconds(5));
    } finally {
      try {
        cluster.close();
      } finally {
        try {
          broker.close();
        } finally {
          redis.shutdown();
        }
      }
    }
  }
}
