package io.freshet.training;

import static io.freshet.training.OfflineDatabase.MERCHANTS;
import static io.freshet.training.OfflineDatabase.USERS;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.FeatureType;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.EntityKey;
import io.freshet.training.OfflineDatabase.Row;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No leakage: the builder against a brute-force point-in-time join written separately (for each
 * label, scan every row version), on generated history with superseded versions, rows committed
 * after the as-of time, gaps longer than the TTL, and labels placed on every edge: window end,
 * window end + availability delay and window end + TTL, each exactly, 1 ms and 1 µs either side.
 */
class PointInTimeOracleTest {
  private static final String[] FEATURES = {
    "user_activity:event_count_1h",
    "user_activity:revenue_1h",
    "user_activity:last_platform",
    "merchant_orders:order_count",
    "merchant_orders:recent_skus",
    "merchant_orders:last_platform",
  };

  private static OfflineDatabase db;
  private static final List<Row> userRows = new ArrayList<>();
  private static final List<Row> merchantRows = new ArrayList<>();
  private static Instant base;
  private static Instant asOf;

  @TempDir Path dir;

  @BeforeAll
  static void history() throws Exception {
    db = OfflineDatabase.fresh();
    db.create(USERS);
    db.create(MERCHANTS);
    base = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(10));
    asOf = base.plus(Duration.ofHours(20));
    Random random = new Random(42);
    String[] platforms = {"web", "ios", "android", "tv, \"beta\"", ""};
    for (int u = 0; u < 30; u++) {
      for (int step = 0; step < 96; step++) {
        if (random.nextInt(100) < 45 || (u % 7 == 0 && step > 30 && step < 50)) {
          continue;
        }
        Instant f = base.plus(Duration.ofMinutes(15L * step));
        String platform = platforms[random.nextInt(platforms.length)];
        versions(
            random,
            userRows,
            "u" + u,
            f,
            () ->
                new Object[] {
                  (long) random.nextInt(50),
                  (long) random.nextInt(5),
                  random.nextInt(10) == 0 ? null : random.nextInt(100_000) / 3.0,
                  (long) random.nextInt(4),
                  (long) random.nextInt(9),
                  random.nextInt(10) == 0 ? null : platform,
                  random.nextDouble(),
                  0.0
                });
      }
    }
    String[] countries = {"DE", "FR"};
    for (int m = 0; m < 8; m++) {
      for (String country : countries) {
        for (int step = 0; step < 288; step++) {
          if (random.nextInt(100) < 60) {
            continue;
          }
          Instant f = base.plus(Duration.ofMinutes(5L * step));
          versions(
              random,
              merchantRows,
              EntityKey.of(List.of("m" + m, country)),
              f,
              () ->
                  new Object[] {
                    (long) random.nextInt(20),
                    List.of("sku" + random.nextInt(9), "s\"k,u" + random.nextInt(9)),
                    "pos" + random.nextInt(3)
                  });
        }
      }
    }
    // a version boundary exactly at the as-of time: the newer version is seen
    Instant f = base.plus(Duration.ofHours(3));
    userRows.removeIf(r -> r.entityKey().equals("u1") && r.featureTs().equals(f));
    userRows.add(new Row("u1", f, userValues(1), f, asOf));
    userRows.add(new Row("u1", f, userValues(2), asOf, null));
    db.insert(USERS, userRows);
    db.insert(MERCHANTS, merchantRows);
  }

  private static Object[] userValues(long count) {
    return new Object[] {count, 0L, 0.0, 0L, 0L, "web", 0.0, 0.0};
  }

  /** One to three versions of a row, committed from its window end on, some after as-of. */
  private static void versions(
      Random random,
      List<Row> rows,
      String key,
      Instant f,
      java.util.function.Supplier<Object[]> values) {
    int n = 1 + random.nextInt(3);
    Instant committed = f.plus(Duration.ofSeconds(random.nextInt(1200)));
    for (int v = 0; v < n; v++) {
      Instant next =
          v == n - 1 ? null : committed.plus(Duration.ofSeconds(1 + random.nextInt(40_000)));
      rows.add(new Row(key, f, values.get(), committed, next));
      committed = next;
    }
  }

  @AfterAll
  static void drop() throws Exception {
    db.close();
  }

  @ParameterizedTest(name = "{0} connections")
  @ValueSource(ints = {1, 3})
  void every_label_equals_a_brute_force_point_in_time_join(int connections) throws Exception {
    List<Label> labels = labels(new Random(7));
    Path labelFile = writeLabels(labels);
    Path out = dir.resolve("train.csv");

    TrainingSetManifest m =
        TrainingSetBuilder.open(OfflineDatabase.CATALOG, db.url)
            .withParallelism(connections)
            .withMinEntitiesPerSlice(4)
            .build(
                TrainingSetRequest.of(
                        LabelSource.csv(labelFile),
                        FeatureSelection.of(FEATURES),
                        TrainingSetOutput.csv(out))
                    .withAsOf(asOf));

    TrainingSetFile set = TrainingSetFile.read(out);
    assertThat(set.header())
        .containsExactly(
            "label_id",
            "user_id",
            "merchant_id",
            "country",
            "event_timestamp",
            "label",
            "event_count_1h",
            "revenue_1h",
            "user_activity__last_platform",
            "order_count",
            "recent_skus",
            "merchant_orders__last_platform");
    assertThat(set.rows()).hasSize(labels.size());
    assertThat(m.rowCount()).isEqualTo(labels.size());
    int seenUsers = 0;
    int seenMerchants = 0;
    for (int i = 0; i < labels.size(); i++) {
      Label l = labels.get(i);
      String[] row = set.rows().get(i);
      assertThat(row[0]).isEqualTo(l.id);
      assertThat(row[4]).isEqualTo(l.timeText);
      assertThat(row[5]).isEqualTo(l.label);
      Object[] user = bruteForce(userRows, USERS, l.userId, l.micros);
      Object[] merchant =
          l.merchantId == null
              ? null
              : bruteForce(
                  merchantRows,
                  MERCHANTS,
                  EntityKey.of(List.of(l.merchantId, l.country)),
                  l.micros);
      seenUsers += user == null ? 0 : 1;
      seenMerchants += merchant == null ? 0 : 1;
      String at = "label " + l.id + " at " + l.timeText + " (user " + l.userId + ")";
      expectCell(at, row[6], USERS, "event_count_1h", user);
      expectCell(at, row[7], USERS, "revenue_1h", user);
      expectCell(at, row[8], USERS, "last_platform", user);
      expectCell(at, row[9], MERCHANTS, "order_count", merchant);
      expectCell(at, row[10], MERCHANTS, "recent_skus", merchant);
      expectCell(at, row[11], MERCHANTS, "last_platform", merchant);
    }
    // the generated edges exercise both outcomes plenty
    assertThat(seenUsers).isBetween(labels.size() / 10, labels.size() - labels.size() / 20);
    assertThat(seenMerchants).isBetween(labels.size() / 10, labels.size() - labels.size() / 20);
  }

  @Test
  void the_version_committed_exactly_at_the_as_of_time_is_the_one_seen() throws Exception {
    Instant f = base.plus(Duration.ofHours(3));
    Path labelFile = dir.resolve("one.csv");
    Files.writeString(
        labelFile,
        "user_id,event_timestamp\nu1," + f.plus(Duration.ofMinutes(10)) + "\n",
        StandardCharsets.UTF_8);
    Path out = dir.resolve("one-out.csv");

    TrainingSetBuilder.open(OfflineDatabase.CATALOG, db.url)
        .build(
            TrainingSetRequest.of(
                    LabelSource.csv(labelFile),
                    FeatureSelection.of("user_activity:event_count_1h"),
                    TrainingSetOutput.csv(out))
                .withAsOf(asOf));

    assertThat(TrainingSetFile.read(out).value(0, "event_count_1h")).isEqualTo("2");
  }

  // ---- the oracle: every version of every row, for every label

  private static Object[] bruteForce(List<Row> rows, ViewPlan plan, String key, long labelMicros) {
    long delay = micros(plan.availabilityDelay());
    long ttl = micros(plan.ttl());
    Row best = null;
    for (Row r : rows) {
      boolean visibleAsOf =
          !r.committedAt().isAfter(asOf)
              && (r.supersededAt() == null || r.supersededAt().isAfter(asOf));
      long f = micros(r.featureTs());
      if (r.entityKey().equals(key)
          && visibleAsOf
          && f + delay <= labelMicros
          && (best == null || r.featureTs().isAfter(best.featureTs()))) {
        best = r;
      }
    }
    if (best == null || labelMicros >= micros(best.featureTs()) + ttl) {
      return null;
    }
    return best.values();
  }

  private static void expectCell(
      String at, String actual, ViewPlan plan, String feature, Object[] values) {
    FeaturePart part = plan.part(feature);
    Object expected = values == null ? null : values[part.index()];
    String what = at + ", " + plan.name() + ":" + feature;
    if (expected == null) {
      assertThat(actual).as(what).isNull();
    } else if (part.type() == FeatureType.FLOAT64) {
      assertThat(Double.parseDouble(actual)).as(what).isEqualTo((Double) expected);
    } else if (part.type() == FeatureType.STRING_LIST) {
      StringBuilder json = new StringBuilder("[");
      for (Object s : (List<?>) expected) {
        json.append(json.length() > 1 ? "," : "");
        json.append('"').append(s.toString().replace("\\", "\\\\").replace("\"", "\\\""));
        json.append('"');
      }
      assertThat(actual).as(what).isEqualTo(json.append(']').toString());
    } else {
      assertThat(actual).as(what).isEqualTo(expected.toString());
    }
  }

  private static long micros(Instant t) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, t);
  }

  private static long micros(Duration d) {
    return d.toNanos() / 1000;
  }

  // ---- labels on every edge

  private record Label(
      String id,
      String userId,
      String merchantId,
      String country,
      String timeText,
      long micros,
      String label) {}

  private List<Label> labels(Random random) {
    List<Label> labels = new ArrayList<>();
    Duration[] userEdges = edges(USERS);
    Duration[] merchantEdges = edges(MERCHANTS);
    for (int i = 0; i < 300; i++) {
      Row u = userRows.get(random.nextInt(userRows.size()));
      Row m = merchantRows.get(random.nextInt(merchantRows.size()));
      String[] mk = m.entityKey().split(String.valueOf(EntityKey.SEPARATOR));
      for (Duration e : userEdges) {
        labels.add(label(random, labels.size(), u.entityKey(), mk, u.featureTs().plus(e)));
      }
      for (Duration e : merchantEdges) {
        labels.add(label(random, labels.size(), u.entityKey(), mk, m.featureTs().plus(e)));
      }
    }
    for (int i = 0; i < 600; i++) {
      Instant t = base.minus(Duration.ofHours(1)).plusMillis(random.nextInt(27 * 3_600_000));
      String user = random.nextInt(20) == 0 ? "ghost" : "u" + random.nextInt(30);
      String[] mk =
          random.nextInt(10) == 0
              ? new String[] {null, "DE"}
              : new String[] {"m" + random.nextInt(9), random.nextBoolean() ? "DE" : "FR"};
      labels.add(label(random, labels.size(), user, mk, t));
    }
    // entities before their first row
    labels.add(label(random, labels.size(), "u3", new String[] {"m1", "DE"}, base.minusMillis(1)));
    labels.add(label(random, labels.size(), "u3", new String[] {"m1", "DE"}, base));
    Collections.shuffle(labels, random);
    return labels;
  }

  private static Duration[] edges(ViewPlan plan) {
    Duration delay = plan.availabilityDelay();
    Duration ttl = plan.ttl();
    Duration ms = Duration.ofMillis(1);
    Duration us = Duration.ofNanos(1000);
    return new Duration[] {
      Duration.ZERO.minus(ms),
      Duration.ZERO,
      ms,
      delay.minus(ms),
      delay.minus(us),
      delay,
      delay.plus(us),
      delay.plus(ms),
      ttl.minus(ms),
      ttl.minus(us),
      ttl,
      ttl.plus(us),
      ttl.plus(ms),
      ttl.plus(delay),
      Duration.ofMinutes(15).plus(delay).minus(ms),
      Duration.ofMinutes(15).plus(delay),
    };
  }

  private static Label label(Random random, int n, String user, String[] merchant, Instant t) {
    String text;
    boolean wholeMillis = t.getNano() % 1_000_000 == 0;
    switch (wholeMillis ? random.nextInt(3) : random.nextInt(2)) {
      case 0 -> text = t.toString();
      case 1 -> text = t.atOffset(ZoneOffset.ofHours(2)).toString();
      default -> text = Long.toString(t.toEpochMilli());
    }
    String label = random.nextInt(4) == 0 ? "yes, \"really\"\nsure" : Integer.toString(n % 2);
    return new Label("L" + n, user, merchant[0], merchant[1], text, micros(t), label);
  }

  private Path writeLabels(List<Label> labels) throws IOException {
    Path file = dir.resolve("labels.csv");
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      Csv.writeRecord(
          w,
          new String[] {
            "label_id", "user_id", "merchant_id", "country", "event_timestamp", "label"
          });
      for (Label l : labels) {
        Csv.writeRecord(
            w, new String[] {l.id, l.userId, l.merchantId, l.country, l.timeText, l.label});
      }
    }
    return file;
  }
}
