package io.freshet.flink.materialize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.PostgresTableSource;
import io.freshet.flink.sink.CommitFaults;
import io.freshet.flink.sink.StoreContents;
import io.freshet.flink.sink.StoreContents.Version;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Loads of a table-sourced view through {@link Materializer} against real Postgres, real Redis and
 * a Flink MiniCluster, with failures injected mid-load (a task failing halfway through the rows, a
 * commit failing after its transaction committed) and a load that fails for good and is redone by
 * the next one. The table is updated between loads (several updates per entity, equal timestamps
 * across entities, null values, rows without a timestamp); an oracle kept beside the table in plain
 * Java says which versions each load must have added. In the end the offline history holds exactly
 * those versions, each once and none superseded, and the online table each entity's newest one.
 */
class MaterializeExactlyOnceTest {
  static final int ENTITIES = 300;
  static final long T0 = 1_767_225_600_000L;
  static final long EPOCH = 3_600_000L;

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  static final AtomicInteger MAP_FAULTS = new AtomicInteger();
  static final AtomicInteger COMMIT_FAULTS = new AtomicInteger();

  String pg;
  String redis;
  ViewPlan plan;
  final Random random = new Random(23);

  /** The oracle: the table as this test wrote it, entity -> current row (null: no timestamp). */
  final Map<String, FeatureRow> table = new HashMap<>();

  /** The oracle: every version a load committed. */
  final Set<FeatureRow> expected = new HashSet<>();

  @BeforeEach
  void setUp() throws Exception {
    pg = TestPostgres.freshDatabase("materialize");
    redis = TestRedis.uri(14);
    try (RedisClient client = RedisClient.create(redis);
        StatefulRedisConnection<String, String> c = client.connect()) {
      c.sync().flushdb();
    }
    io.freshet.offline.FreshetSchema.migrate(pg, "test");
    StoreContents.execute(
        pg,
        "CREATE SCHEMA src; CREATE TABLE src.profile (user_id text PRIMARY KEY, country text,"
            + " lifetime_value float8, signup date, tags text[], updated_at timestamptz)");
    plan =
        ViewPlan.of(
            FeatureView.named("profile")
                .source(
                    PostgresTableSource.table("src.profile")
                        .keyedBy("user_id")
                        .timestampColumn("updated_at"))
                .feature(Feature.named("country").column("country", FeatureType.STRING))
                .feature(Feature.named("ltv").column("lifetime_value", FeatureType.FLOAT64))
                .feature(Feature.named("signup").column("signup", FeatureType.INT64))
                .feature(Feature.named("tags").column("tags", FeatureType.STRING_LIST))
                .build());
    MAP_FAULTS.set(0);
    COMMIT_FAULTS.set(0);
  }

  @AfterEach
  void tearDown() {
    CommitFaults.uninstall();
  }

  @Test
  void loads_are_exactly_once_under_failures_and_reruns() throws Exception {
    // Load 1: the first full load, no faults.
    update(0, ENTITIES);
    load(null, 1, null, 1);

    // Load 2: a task fails halfway through the rows, and a commit fails after it committed.
    update(1, ENTITIES / 2);
    MAP_FAULTS.set(1);
    CommitFaults.install(
        (store, point, committable) -> {
          if (point == CommitFaults.Point.AFTER_APPLY && COMMIT_FAULTS.getAndIncrement() == 0) {
            throw new java.io.IOException("injected failure after a commit");
          }
        });
    load(null, 2, new FailHalfway(), 10);
    assertThat(COMMIT_FAULTS.get()).as("the commit fault fired").isGreaterThanOrEqualTo(1);
    assertThat(MAP_FAULTS.get()).as("the task fault fired").isLessThan(1);

    // Load 3 commits its rows and then fails on every attempt: the mark stays at load 2's end.
    update(2, ENTITIES / 3);
    CommitFaults.install(
        (store, point, committable) -> {
          if (point == CommitFaults.Point.AFTER_APPLY
              || point == CommitFaults.Point.ALREADY_COMMITTED) {
            COMMIT_FAULTS.incrementAndGet();
            throw new java.io.IOException("injected failure after every commit");
          }
        });
    int before = COMMIT_FAULTS.get();
    Set<FeatureRow> committedByFailedLoad = versionsIn(T0 + 2 * EPOCH, T0 + 3 * EPOCH);
    assertThatThrownBy(() -> load(null, 3, null, 1)).isNotNull();
    assertThat(COMMIT_FAULTS.get()).isGreaterThan(before);
    assertThat(markOf()).isEqualTo(T0 + 2 * EPOCH);
    expected.addAll(committedByFailedLoad);
    CommitFaults.uninstall();

    // Load 4 redoes load 3's range with the table as it is now, plus epoch 3's updates.
    update(3, ENTITIES / 3);
    load(null, 4, null, 1);
    assertThat(markOf()).isEqualTo(T0 + 4 * EPOCH);

    // A rerun of load 4's range with --from: nothing new.
    load(T0 + 2 * EPOCH, 4, null, 1);

    List<Version> history = StoreContents.offlineHistory(pg, plan);
    List<FeatureRow> versions = history.stream().map(Version::row).toList();
    assertThat(versions).doesNotHaveDuplicates();
    assertThat(new HashSet<>(versions)).isEqualTo(expected);
    assertThat(history).allSatisfy(v -> assertThat(v.supersededAt()).isNull());
    Map<String, FeatureRow> newest = new HashMap<>();
    for (FeatureRow r : expected) {
      newest.merge(r.entityKey(), r, (a, b) -> a.featureTs() >= b.featureTs() ? a : b);
    }
    assertThat(StoreContents.online(redis, plan)).isEqualTo(newest);
  }

  /** Runs a load to the end of {@code epochs} epochs; the oracle adds what it must commit. */
  void load(Long from, int epochs, MapFunction<FeatureRow, FeatureRow> between, int attempts)
      throws Exception {
    long to = T0 + epochs * EPOCH;
    Long mark = from != null ? from : markOf();
    Set<FeatureRow> versions = versionsIn(mark == null ? Long.MIN_VALUE : mark, to);
    Materializer.run(plan, pg, redis, from, to, () -> env(attempts), between);
    expected.addAll(versions);
  }

  Long markOf() throws SQLException {
    try (Connection c = DriverManager.getConnection(pg)) {
      var m = io.freshet.offline.TableLoads.highWaterMark(c, plan.name(), plan.versionTag());
      return m.isPresent() ? m.getAsLong() : null;
    }
  }

  /** The oracle's rows with a timestamp in {@code (from, to]}. */
  Set<FeatureRow> versionsIn(long from, long to) {
    Set<FeatureRow> out = new HashSet<>();
    for (FeatureRow r : table.values()) {
      if (r != null && r.featureTs() > from && r.featureTs() <= to) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * Updates {@code count} random entities (several times each, some twice) with timestamps inside
   * epoch {@code epoch}, drawn from few values so that entities share them; one in 40 updates
   * leaves no timestamp (the row is not loadable until a later update stamps it).
   */
  void update(int epoch, int count) throws SQLException {
    String[] countries = {"DE", "FR", "US", null};
    try (Connection c = DriverManager.getConnection(pg);
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO src.profile VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE"
                    + " SET country = excluded.country, lifetime_value = excluded.lifetime_value,"
                    + " signup = excluded.signup, tags = excluded.tags,"
                    + " updated_at = excluded.updated_at")) {
      for (int i = 0; i < count; i++) {
        String user = "u" + random.nextInt(ENTITIES);
        int updates = 1 + random.nextInt(3);
        for (int u = 0; u < updates; u++) {
          FeatureRow previous = table.get(user);
          long ts = T0 + epoch * EPOCH + 1 + random.nextInt(20) * 60_000L + u;
          if (previous != null && previous.featureTs() >= ts) {
            ts = previous.featureTs() + 1;
          }
          String country = countries[random.nextInt(countries.length)];
          Double ltv = random.nextInt(5) == 0 ? null : random.nextInt(100_000) / 100.0;
          LocalDate signup = LocalDate.of(2020, 1, 1).plusDays(random.nextInt(2000));
          List<String> tags = random.nextBoolean() ? List.of("a", "b" + u) : List.of();
          boolean stamped = random.nextInt(40) != 0;
          s.setString(1, user);
          s.setString(2, country);
          if (ltv == null) {
            s.setNull(3, java.sql.Types.DOUBLE);
          } else {
            s.setDouble(3, ltv);
          }
          s.setObject(4, signup);
          s.setArray(5, c.createArrayOf("text", tags.toArray()));
          s.setTimestamp(6, stamped ? new Timestamp(ts) : null);
          s.executeUpdate();
          long signupMillis = signup.toEpochDay() * 86_400_000L;
          table.put(
              user,
              stamped
                  ? new FeatureRow(user, ts, new Object[] {country, ltv, signupMillis, tags})
                  : null);
        }
      }
    }
  }

  static StreamExecutionEnvironment env(int attempts) {
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(20));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(2);
    return env;
  }

  /** Fails once, at the 50th row it sees. */
  static final class FailHalfway implements MapFunction<FeatureRow, FeatureRow> {
    private int seen;

    @Override
    public FeatureRow map(FeatureRow row) {
      if (++seen == 50 && MAP_FAULTS.getAndDecrement() > 0) {
        throw new IllegalStateException("injected failure halfway through the rows");
      }
      return row;
    }
  }
}
