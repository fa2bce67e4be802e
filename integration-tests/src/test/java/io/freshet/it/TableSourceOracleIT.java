package io.freshet.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.PostgresTableSource;
import io.freshet.flink.materialize.Materializer;
import io.freshet.offline.FreshetSchema;
import io.freshet.offline.OfflineTable;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineReader;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.freshet.training.FeatureSelection;
import io.freshet.training.LabelSource;
import io.freshet.training.TrainingSetBuilder;
import io.freshet.training.TrainingSetOutput;
import io.freshet.training.TrainingSetRequest;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table-sourced view against a brute-force oracle: a Postgres table whose rows are updated over
 * time (several updates per entity between loads, equal timestamps across entities, null values),
 * materialized in several incremental loads as {@code --every} makes them; then the offline history
 * and the online table equal what an oracle kept beside the table says each load saw, and a
 * training set built by the real builder answers, for labels at every loaded update, 1 ms before
 * and 1 ms after it, exactly what a scan of the oracle's history gives: the version with the
 * greatest timestamp at or before the label (no availability delay, no TTL expiry).
 */
class TableSourceOracleIT {
  static final int ENTITIES = 60;
  static final int LOADS = 6;
  static final long T0 = 1_767_225_600_000L;
  static final long STEP = 600_000L;

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(1)
              .build());

  @TempDir Path dir;

  static final FeatureView VIEW =
      FeatureView.named("attrs")
          .source(
              PostgresTableSource.table("src.attrs")
                  .keyedBy("user_id")
                  .timestampColumn("updated_at"))
          .feature(Feature.named("country").column("country", FeatureType.STRING))
          .feature(Feature.named("score").column("score", FeatureType.INT64))
          .build();

  @Test
  void history_online_table_and_point_in_time_reads_equal_the_oracle() throws Exception {
    String pg = TestPostgres.freshDatabase("table_oracle");
    String redis = TestRedis.uri(15);
    try (RedisClient client = RedisClient.create(redis);
        StatefulRedisConnection<String, String> c = client.connect()) {
      c.sync().flushdb();
    }
    FreshetSchema.migrate(pg, "test");
    ViewPlan plan = ViewPlan.of(VIEW);
    Random random = new Random(5);
    Map<String, FeatureRow> table = new HashMap<>();
    Map<String, List<FeatureRow>> history = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(pg);
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE SCHEMA src; CREATE TABLE src.attrs (user_id text PRIMARY KEY, country text,"
              + " score bigint, updated_at timestamptz NOT NULL)");
    }
    String[] countries = {"DE", "FR", "US", null};
    for (int load = 1; load <= LOADS; load++) {
      long end = T0 + load * STEP;
      try (Connection c = DriverManager.getConnection(pg);
          PreparedStatement up =
              c.prepareStatement(
                  "INSERT INTO src.attrs VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
                      + " country = excluded.country, score = excluded.score,"
                      + " updated_at = excluded.updated_at")) {
        for (int i = 0; i < ENTITIES / 2; i++) {
          String user = "u" + random.nextInt(ENTITIES);
          for (int u = 0; u < 1 + random.nextInt(3); u++) {
            // few distinct instants, so entities share timestamps; always newer per entity
            long ts = end - STEP + 1 + random.nextInt(5) * 60_000L + u;
            FeatureRow before = table.get(user);
            if (before != null && before.featureTs() >= ts) {
              ts = before.featureTs() + 1;
            }
            String country = countries[random.nextInt(countries.length)];
            Long score = random.nextInt(6) == 0 ? null : (long) random.nextInt(1000);
            up.setString(1, user);
            up.setString(2, country);
            up.setObject(3, score);
            up.setTimestamp(4, new Timestamp(ts));
            up.executeUpdate();
            table.put(user, new FeatureRow(user, ts, new Object[] {country, score}));
          }
        }
      }
      long mark = T0 + (load - 1) * STEP;
      // the first load has no mark: from the beginning; later ones continue from the mark
      Materializer.run(
          plan, pg, redis, null, end, StreamExecutionEnvironment::getExecutionEnvironment);
      for (FeatureRow r : table.values()) {
        if ((load == 1 || r.featureTs() > mark) && r.featureTs() <= end) {
          history.computeIfAbsent(r.entityKey(), k -> new ArrayList<>()).add(r);
        }
      }
    }

    // offline history: exactly the oracle's versions
    Map<String, List<FeatureRow>> offline = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(pg);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT entity_key, feature_ts, country, score, superseded_at FROM "
                    + OfflineTable.of(plan).qualifiedName()
                    + " ORDER BY entity_key, feature_ts")) {
      while (rs.next()) {
        assertThat(rs.getTimestamp(5)).as("superseded_at").isNull();
        long score = rs.getLong(4);
        Object scoreValue = rs.wasNull() ? null : score;
        offline
            .computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
            .add(
                new FeatureRow(
                    rs.getString(1),
                    rs.getTimestamp(2).getTime(),
                    new Object[] {rs.getString(3), scoreValue}));
      }
    }
    assertThat(offline).isEqualTo(history);

    // online: each entity's newest version
    OnlineCodec codec = new OnlineCodec(plan);
    try (OnlineReader reader = OnlineReader.connect(redis)) {
      reader.requireConnected(java.time.Duration.ofSeconds(10));
      for (var e : history.entrySet()) {
        byte[] bytes =
            reader.value(plan, e.getKey()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(bytes).as("online row of %s", e.getKey()).isNotNull();
        assertThat(codec.decode(e.getKey(), bytes))
            .isEqualTo(e.getValue().get(e.getValue().size() - 1));
      }
    }

    // point in time: labels at each update, 1 ms before and 1 ms after
    List<String[]> labels = new ArrayList<>();
    for (var e : history.entrySet()) {
      for (FeatureRow r : e.getValue()) {
        for (long d : new long[] {-1, 0, 1}) {
          labels.add(new String[] {e.getKey(), Instant.ofEpochMilli(r.featureTs() + d).toString()});
        }
      }
    }
    labels.add(new String[] {"nobody", Instant.ofEpochMilli(T0 + STEP).toString()});
    StringBuilder csv = new StringBuilder("user_id,event_timestamp,answer\n");
    for (int i = 0; i < labels.size(); i++) {
      csv.append(labels.get(i)[0]).append(',').append(labels.get(i)[1]).append(',').append(i);
      csv.append('\n');
    }
    Path labelFile = dir.resolve("labels.csv");
    Files.writeString(labelFile, csv);
    TrainingSetBuilder.open(Catalog.of(List.of(VIEW)), pg)
        .build(
            TrainingSetRequest.of(
                LabelSource.csv(labelFile),
                FeatureSelection.of(List.of("attrs:country", "attrs:score")),
                TrainingSetOutput.postgresTable("public.attrs_set")));
    List<Object[]> rows = ServedAnswers.readOutput(plan, pg, "attrs_set");
    assertThat(rows).hasSize(labels.size());
    int present = 0;
    for (int i = 0; i < labels.size(); i++) {
      String user = labels.get(i)[0];
      long at = Instant.parse(labels.get(i)[1]).toEpochMilli();
      FeatureRow want = null;
      for (FeatureRow r : history.getOrDefault(user, List.of())) {
        if (r.featureTs() <= at && (want == null || r.featureTs() > want.featureTs())) {
          want = r;
        }
      }
      Object[] got = rows.get(i);
      assertThat(got[0]).isEqualTo(user);
      Object[] wantValues = want == null ? new Object[] {null, null} : want.values();
      assertThat(got[1]).as("country of %s at %s", user, labels.get(i)[1]).isEqualTo(wantValues[0]);
      Object score = got[2] == null ? null : ((Number) got[2]).longValue();
      assertThat(score).as("score of %s at %s", user, labels.get(i)[1]).isEqualTo(wantValues[1]);
      present += want == null ? 0 : 1;
    }
    assertThat(present).as("labels with a value").isGreaterThan(labels.size() / 2);
  }
}
