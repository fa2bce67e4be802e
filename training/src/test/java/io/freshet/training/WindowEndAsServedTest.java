package io.freshet.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Aggregation;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * As-served training sets of a window-end view against a brute force written separately: a
 * simulated online table (one row per entity, newest window end wins, an identical row keeps its
 * stamp, rows expire at {@code feature_ts + ttl}) is driven through a history of checkpoints, each
 * writing its rows offline with the stamps the simulation gives them, as the row sink does; each
 * label's expected value is what the simulated table held at the label's instant. Labels lie on
 * stamps exactly and one microsecond before, on expiry instants and one microsecond before, and
 * before the first served row (final values, counted).
 */
class WindowEndAsServedTest {
  private static final long MINUTE = 60_000;
  private static final long SLIDE = 5 * MINUTE;
  private static final long TTL = 20 * MINUTE;
  private static final long DELAY = 2 * MINUTE;

  static final FeatureView VIEW =
      FeatureView.named("taps")
          .source(
              KafkaJsonSource.topic("taps")
                  .keyedBy("user_id")
                  .eventTimeField("ts")
                  .withMaxOutOfOrderness(Duration.ofMinutes(1)))
          .feature(
              Feature.named("n")
                  .aggregate(Aggregation.count())
                  .over(SlidingWindow.of(Duration.ofMinutes(10), Duration.ofMinutes(5))))
          .feature(
              Feature.named("amount")
                  .aggregate(Aggregation.sum("amount"))
                  .over(SlidingWindow.of(Duration.ofMinutes(10), Duration.ofMinutes(5))))
          .ttl(Duration.ofMillis(TTL))
          .availabilityDelay(Duration.ofMillis(DELAY))
          .build();

  private static final Catalog CATALOG = Catalog.of(List.of(VIEW));
  private static final ViewPlan PLAN = CATALOG.plan("taps");
  private static final long BASE = Instant.parse("2026-11-20T12:00:00Z").toEpochMilli();
  private static final String[] USERS = {"u0", "u1", "u2", "ü3"};

  /** One version of one row as committed offline. */
  record Version(String entity, long featureTs, long n, double amount, int checkpoint) {}

  /** What the simulated online table holds for an entity from an instant on (null: nothing). */
  record Held(long fromMicros, Version row, long stamp) {}

  private static OfflineDatabase db;
  private static final List<Version> committed = new ArrayList<>();
  private static final Map<String, List<Held>> timeline = new HashMap<>();
  private static final List<Long> stamps = new ArrayList<>();
  private static final List<Long> labelTimes = new ArrayList<>();
  private static final List<String> labelUsers = new ArrayList<>();
  private static long firstServed = Long.MAX_VALUE;

  @TempDir Path dir;

  @BeforeAll
  static void history() throws Exception {
    db = OfflineDatabase.fresh();
    db.create(PLAN);
    Random random = new Random(11);
    Map<String, Held> online = new HashMap<>();
    // 30 checkpoints a minute apart; the first 6 are a backfill (nothing served)
    for (int k = 0; k < 30; k++) {
      long checkpointMs = BASE + k * MINUTE;
      boolean backfill = k < 6;
      long stamp = checkpointMs * 1000 + 1 + random.nextInt(20_000_000);
      List<FeatureRow> rows = new ArrayList<>();
      Map<String, Version> newest = new LinkedHashMap<>();
      List<Version> versions = new ArrayList<>();
      for (String user : USERS) {
        if (random.nextInt(4) == 0) {
          continue;
        }
        long latestEnd = Math.floorDiv(checkpointMs, SLIDE) * SLIDE;
        int count = 1 + random.nextInt(3);
        for (int i = 0; i < count; i++) {
          // mostly the latest window, sometimes an older one (a late update), sometimes a row
          // equal to one committed before (a re-emission)
          long f = latestEnd - SLIDE * (random.nextInt(5) == 0 ? 1 + random.nextInt(6) : 0);
          boolean same = random.nextInt(4) == 0;
          long n = same ? f / SLIDE % 7 : random.nextInt(50);
          double amount = same ? 1.5 : random.nextInt(200) / 4.0;
          Version v = new Version(user, f, n, amount, k);
          if (versions.stream().anyMatch(x -> x.entity().equals(user) && x.featureTs() == f)) {
            continue;
          }
          versions.add(v);
          Version had = newest.get(user);
          if (had == null || f >= had.featureTs()) {
            newest.put(user, v);
          }
        }
      }
      Long[] visible = new Long[versions.size()];
      for (int i = 0; i < versions.size(); i++) {
        Version v = versions.get(i);
        rows.add(new FeatureRow(v.entity(), v.featureTs(), new Object[] {v.n(), v.amount()}));
        if (backfill || newest.get(v.entity()) != v) {
          continue;
        }
        // the simulated online table at this checkpoint's stamp
        long nowMs = Math.floorDiv(stamp, 1000);
        Held held = online.get(v.entity());
        if (held != null && held.row() != null && held.row().featureTs() + TTL < nowMs) {
          held = null; // expired and dropped by Redis
        }
        if (held != null
            && held.row() != null
            && held.row().featureTs() == v.featureTs()
            && held.row().n() == v.n()
            && held.row().amount() == v.amount()) {
          visible[i] = held.stamp(); // a replay of the stored row
        } else if ((held == null || held.row() == null || v.featureTs() >= held.row().featureTs())
            && v.featureTs() + TTL > nowMs) {
          Held now = new Held(stamp, v, stamp);
          online.put(v.entity(), now);
          timeline.computeIfAbsent(v.entity(), e -> new ArrayList<>()).add(now);
          visible[i] = stamp;
          firstServed = Math.min(firstServed, stamp);
        }
      }
      committed.addAll(versions);
      if (!backfill) {
        stamps.add(stamp);
      }
      db.commit(PLAN, rows, visible);
    }
    db.awaitStableAfter(Instant.now());

    for (String user : USERS) {
      for (int i = 0; i < 60; i++) {
        label(user, (BASE - 5 * MINUTE) * 1000 + (long) (random.nextDouble() * 70 * MINUTE * 1000));
      }
      for (long s : stamps) {
        label(user, s);
        label(user, s - 1);
      }
      for (Held h : timeline.getOrDefault(user, List.of())) {
        long expiry = (h.row().featureTs() + TTL) * 1000;
        label(user, expiry);
        label(user, expiry - 1);
      }
    }
    label("nobody", (BASE + 20 * MINUTE) * 1000);
  }

  private static void label(String user, long micros) {
    labelUsers.add(user);
    labelTimes.add(micros);
  }

  @AfterAll
  static void drop() throws Exception {
    db.close();
  }

  // ---- the brute force

  /** n and amount at a label, as text; nulls when there is no value. */
  private static List<String> expected(String user, long labelMicros, boolean asServed) {
    Version row = null;
    if (asServed && labelMicros >= firstServed) {
      for (Held h : timeline.getOrDefault(user, List.of())) {
        if (h.fromMicros() <= labelMicros) {
          row = h.row();
        }
      }
    } else {
      // final: of the current versions, the greatest window end F with F + delay <= L
      Map<Long, Version> current = new HashMap<>();
      for (Version v : committed) {
        if (v.entity().equals(user)) {
          current.put(v.featureTs(), v);
        }
      }
      for (Version v : current.values()) {
        if ((v.featureTs() + DELAY) * 1000 <= labelMicros
            && (row == null || v.featureTs() > row.featureTs())) {
          row = v;
        }
      }
    }
    List<String> values = new ArrayList<>();
    if (row == null || labelMicros >= (row.featureTs() + TTL) * 1000) {
      values.add(null);
      values.add(null);
    } else {
      values.add(Long.toString(row.n()));
      values.add(Double.toString(row.amount()));
    }
    return values;
  }

  // ---- the tests

  @Test
  void as_served_values_are_what_the_online_table_held_at_each_label() throws Exception {
    TrainingSetManifest m = build(TrainingSemantics.AS_SERVED, "served.csv");
    check("served.csv", true);
    TrainingSetManifest.ViewVersion v = m.views().get(0);
    assertThat(v.firstServedAt()).isEqualTo(LabelTime.fromMicros(firstServed));
    long before = labelTimes.stream().filter(t -> t < firstServed).count();
    assertThat(before).isPositive();
    assertThat(v.labelsBeforeFirstServed()).isEqualTo(before);
    TrainingSetBuilder builder = TrainingSetBuilder.open(CATALOG, db.url);
    assertThat(builder.rebuild(m.id())).isEqualTo(m);
  }

  @Test
  void final_values_stay_point_in_time() throws Exception {
    TrainingSetManifest m = build(TrainingSemantics.FINAL, "final.csv");
    check("final.csv", false);
    assertThat(m.views().get(0).labelsBeforeFirstServed()).isZero();
  }

  @Test
  void the_brute_force_tells_the_edges_and_the_semantics_apart() {
    int semantics = 0;
    int edges = 0;
    for (int i = 0; i < labelTimes.size(); i++) {
      String user = labelUsers.get(i);
      long l = labelTimes.get(i);
      if (!Objects.equals(expected(user, l, true), expected(user, l, false))) {
        semantics++;
      }
      if (!Objects.equals(expected(user, l, true), expected(user, l - 1, true))) {
        edges++;
      }
    }
    assertThat(semantics).isGreaterThan(20);
    assertThat(edges).isGreaterThan(20);
  }

  private TrainingSetManifest build(TrainingSemantics semantics, String output) throws Exception {
    StringBuilder csv = new StringBuilder("user_id,event_timestamp\n");
    for (int i = 0; i < labelTimes.size(); i++) {
      csv.append(labelUsers.get(i))
          .append(',')
          .append(LabelTime.fromMicros(labelTimes.get(i)))
          .append('\n');
    }
    Path labels = dir.resolve("labels-" + output);
    Files.writeString(labels, csv);
    return TrainingSetBuilder.open(CATALOG, db.url)
        .withMinEntitiesPerSlice(2)
        .withParallelism(2)
        .build(
            TrainingSetRequest.of(
                    LabelSource.csv(labels),
                    FeatureSelection.of(List.of("taps:n", "taps:amount")),
                    TrainingSetOutput.csv(dir.resolve(output)))
                .withSemantics(semantics));
  }

  private void check(String output, boolean asServed) throws Exception {
    List<String[]> lines = new ArrayList<>();
    try (var reader = Files.newBufferedReader(dir.resolve(output))) {
      Csv.RecordReader csv = new Csv.RecordReader(reader);
      String[] record;
      while ((record = csv.next()) != null) {
        lines.add(record);
      }
    }
    assertThat(lines.get(0)).containsExactly("user_id", "event_timestamp", "n", "amount");
    assertThat(lines).hasSize(labelTimes.size() + 1);
    Map<String, Integer> mismatches = new LinkedHashMap<>();
    int withValues = 0;
    for (int i = 0; i < labelTimes.size(); i++) {
      String[] fields = lines.get(i + 1);
      List<String> want = expected(labelUsers.get(i), labelTimes.get(i), asServed);
      List<String> got = new ArrayList<>();
      got.add(fields[2]);
      got.add(fields[3] == null ? null : Double.toString(Double.parseDouble(fields[3])));
      if (want.get(0) != null) {
        withValues++;
      }
      if (!want.equals(got)) {
        mismatches.merge(
            labelUsers.get(i)
                + " at "
                + LabelTime.fromMicros(labelTimes.get(i))
                + ": expected "
                + want
                + ", got "
                + got,
            1,
            Integer::sum);
      }
    }
    assertThat(mismatches).isEmpty();
    assertThat(withValues).isGreaterThan(labelTimes.size() / 3);
  }
}
