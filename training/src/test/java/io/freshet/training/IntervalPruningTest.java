package io.freshet.training;

import static io.freshet.training.OfflineDatabase.USERS;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.training.OfflineDatabase.Row;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
 * The builder reads, per entity, only the {@code feature_ts} intervals its labels can use (one per
 * label, {@code (L - ttl, L - delay]}, merged when they overlap or lie close): checked against a
 * brute-force join over every row version, on sparse histories where the rows just outside each
 * interval would give a different answer if they were read wrongly or the rows just inside were
 * missed. Labels sit exactly at TTL expiry and availability, and 1 µs either side; pairs of labels
 * are spaced exactly at, 1 µs under and 1 µs over the distance at which their intervals merge;
 * entities have rows days before and after all their labels; some entities have rows and no labels,
 * some labels have no rows; labels and rows lie centuries from the epoch, on both sides of the
 * limit beyond which interval bounds are sent widened.
 */
class IntervalPruningTest {
  private static final long US = 1;
  private static final long DELAY = micros(USERS.availabilityDelay());
  private static final long TTL = micros(USERS.ttl());

  /** The distance between two labels at which their intervals are merged into one. */
  private static final long MERGE = 2 * (TTL - DELAY);

  private static OfflineDatabase db;
  private static final List<Row> rows = new ArrayList<>();
  private static final List<long[]> labels = new ArrayList<>(); // {entity, micros}
  private static Instant base;
  private static Instant asOf;
  private static long counter;

  @TempDir Path dir;

  @BeforeAll
  static void history() throws Exception {
    db = OfflineDatabase.fresh();
    db.create(USERS);
    base = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(20));
    asOf = base.plus(Duration.ofDays(12));
    long b = micros(base);
    Random random = new Random(11);
    // edge entities: a sparse history (a row every 6 h, days before and after the labels,
    // an odd microsecond offset so that no two edges coincide), one label per entity
    long[] edges = {
      DELAY - US, DELAY, DELAY + US, TTL - US, TTL, TTL + US, TTL - DELAY, 0, -US, 3 * TTL
    };
    int entity = 0;
    for (long edge : edges) {
      for (int day = 4; day <= 8; day++) {
        long f = b + day * 86_400_000_000L + 7 * US;
        sparse(entity, b, random);
        labels.add(new long[] {entity, f + edge});
        entity++;
      }
    }
    // merge edges: two labels per entity, MERGE apart, exactly, 1 µs under and over, with rows
    // just outside both intervals and in the gap between them
    for (long d : new long[] {MERGE - US, MERGE, MERGE + US, MERGE + 2 * US, 3 * MERGE}) {
      long l1 = b + 5 * 86_400_000_000L + 13 * US;
      long l2 = l1 + d;
      for (long f :
          new long[] {
            l1 - TTL,
            l1 - TTL + US,
            l1 - DELAY,
            l1 - DELAY + US,
            l1 - DELAY + MERGE / 4,
            l2 - TTL,
            l2 - TTL + US,
            l2 - DELAY,
            l2 - DELAY + US,
            l1 - 3 * 86_400_000_000L,
            l2 + 3 * 86_400_000_000L
          }) {
        row(entity, f, random);
      }
      labels.add(new long[] {entity, l1});
      labels.add(new long[] {entity, l2});
      entity++;
    }
    // random: sparse rows, a few labels each, some entities with no labels, some labels with
    // no rows
    for (int e = 0; e < 40; e++) {
      sparse(entity + e, b + random.nextInt(3_600_000) * 1000L, random);
      if (e % 5 == 0) {
        continue;
      }
      for (int k = random.nextInt(4); k >= 0; k--) {
        Row r = rows.get(rows.size() - 1 - random.nextInt(30));
        long[] offsets = {DELAY, TTL, 0};
        long t =
            micros(r.featureTs())
                + offsets[random.nextInt(3)]
                + (random.nextInt(3) - 1) * US
                + (random.nextBoolean() ? 0 : random.nextInt(1_000_000_000) * 10L);
        labels.add(new long[] {entity + e, t});
      }
    }
    labels.add(new long[] {entity + 40, b + 6 * 86_400_000_000L});
    // centuries away from the epoch, where bounds are sent as infinities or clamped: labels
    // before 1827 and after 2112, and one each side of that limit, with rows all around
    entity += 41;
    long century = 100L * 365 * 86_400_000_000L;
    for (long t :
        new long[] {
          -3 * century,
          -ViewReaderLimits.EXACT - TTL / 2,
          ViewReaderLimits.EXACT + TTL / 2,
          3 * century
        }) {
      for (long k = -3; k <= 3; k++) {
        row(entity, t + k * (TTL / 3) + 7 * US, random);
      }
      for (long edge : new long[] {DELAY, TTL - US, TTL, TTL / 2}) {
        labels.add(new long[] {entity, t + 7 * US + edge});
        labels.add(new long[] {entity + 1, t + 7 * US + edge});
      }
      labels.add(new long[] {entity + 2, t});
      row(entity + 1, t - 2 * century / 100, random);
      entity += 3;
    }
    db.insert(USERS, rows);
  }

  /** A row every 6 h (sometimes skipped) from {@code from} over 12 days. */
  private static void sparse(int entity, long from, Random random) {
    for (int step = 0; step < 48; step++) {
      if (random.nextInt(4) == 0) {
        continue;
      }
      row(entity, from + step * 6 * 3_600_000_000L + 7 * US, random);
    }
  }

  /** A row with a unique event count; sometimes two versions, the second after the as-of time. */
  private static void row(int entity, long f, Random random) {
    Instant ts = instant(f);
    Instant committed = ts.plusSeconds(random.nextInt(600));
    if (random.nextInt(5) == 0) {
      Instant later = asOf.plusSeconds(1 + random.nextInt(100));
      rows.add(new Row(key(entity), ts, values(++counter), committed, later));
      rows.add(new Row(key(entity), ts, values(++counter), later, null));
    } else {
      rows.add(new Row(key(entity), ts, values(++counter), committed, null));
    }
  }

  private static Object[] values(long count) {
    return new Object[] {count, 0L, 0.0, 0L, 0L, "web", 0.0, 0.0};
  }

  @AfterAll
  static void drop() throws Exception {
    db.close();
  }

  @ParameterizedTest(name = "{0} connections")
  @ValueSource(ints = {1, 2})
  void every_label_equals_a_brute_force_join(int connections) throws Exception {
    List<long[]> shuffled = new ArrayList<>(labels);
    Collections.shuffle(shuffled, new Random(connections));
    Path file = dir.resolve("labels.csv");
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("user_id,event_timestamp\n");
      for (long[] l : shuffled) {
        w.write(key((int) l[0]) + "," + instant(l[1]) + "\n");
      }
    }
    Path out = dir.resolve("train.csv");
    TrainingSetProgress progress = new TrainingSetProgress();
    TrainingSetBuilder.open(OfflineDatabase.CATALOG, db.url)
        .withParallelism(connections)
        .withMinEntitiesPerSlice(4)
        .withProgress(progress)
        .build(
            TrainingSetRequest.of(
                    LabelSource.csv(file),
                    FeatureSelection.of("user_activity:event_count_1h"),
                    TrainingSetOutput.csv(out))
                .withAsOf(asOf));
    TrainingSetFile set = TrainingSetFile.read(out);
    assertThat(set.rows()).hasSize(shuffled.size());
    // every stage ends at one count per label: the join's entities with rows counted as they
    // streamed past, those without when their slice was done, none twice
    long n = shuffled.size();
    assertThat(progress.stages())
        .containsExactly(
            new TrainingSetProgress.StageState(TrainingSetProgress.Stage.LABELS, n, n, 1, true),
            new TrainingSetProgress.StageState(
                TrainingSetProgress.Stage.JOIN, n, n, Double.NaN, true),
            new TrainingSetProgress.StageState(
                TrainingSetProgress.Stage.WRITE, n, n, Double.NaN, true));
    int seen = 0;
    for (int i = 0; i < shuffled.size(); i++) {
      long[] l = shuffled.get(i);
      Long expected = bruteForce(key((int) l[0]), l[1]);
      seen += expected == null ? 0 : 1;
      assertThat(set.value(i, "event_count_1h"))
          .as("label %s at %s", key((int) l[0]), instant(l[1]))
          .isEqualTo(expected == null ? null : expected.toString());
    }
    assertThat(seen).isBetween(shuffled.size() / 5, shuffled.size() - shuffled.size() / 10);
  }

  @Test
  void intervals_are_one_per_label_merged_when_close() {
    ViewReader.Job job = new ViewReader.Job(null, List.of(), 10, 100);
    long[] times = {1000, 1050, 1050 + 90 + 90, 1050 + 90 + 90 + 90 + 91, 5000};
    long[] lo = new long[1];
    long[] hi = new long[1];
    int[] order = {0, 1, 2, 3, 4};
    int n = ViewReader.intervals(order, times, job, lo, hi);
    assertThat(n).isNegative();
    lo = new long[-n];
    hi = new long[-n];
    n = ViewReader.intervals(order, times, job, lo, hi);
    // (L - 100, L - 10] per label; merged when the next starts within 90 after the last ends
    assertThat(n).isEqualTo(3);
    assertThat(new long[] {lo[0], hi[0]}).containsExactly(901, 1040 + 180);
    assertThat(new long[] {lo[1], hi[1]}).containsExactly(1312, 1401);
    assertThat(new long[] {lo[2], hi[2]}).containsExactly(4901, 4990);
    // a TTL no longer than the delay leaves nothing to read
    assertThat(
            ViewReader.intervals(
                order, times, new ViewReader.Job(null, List.of(), 100, 100), lo, hi))
        .isZero();
  }

  @Test
  void bounds_far_from_the_epoch_widen_to_exact_values_or_infinities() {
    long e = io.freshet.offline.AsOfScan.EXACT_MICROS;
    assertThat(ViewReader.exactLow(-e - 1)).isEqualTo(Long.MIN_VALUE);
    assertThat(ViewReader.exactLow(-e)).isEqualTo(-e);
    assertThat(ViewReader.exactLow(e + 1)).isEqualTo(e);
    assertThat(ViewReader.exactHigh(e + 1)).isEqualTo(Long.MAX_VALUE);
    assertThat(ViewReader.exactHigh(e)).isEqualTo(e);
    assertThat(ViewReader.exactHigh(-e - 1)).isEqualTo(-e);
  }

  /** The limit of exact bounds, for placing labels around it. */
  private static final class ViewReaderLimits {
    static final long EXACT = io.freshet.offline.AsOfScan.EXACT_MICROS;
  }

  private static Long bruteForce(String key, long label) {
    Row best = null;
    for (Row r : rows) {
      boolean visible =
          !r.committedAt().isAfter(asOf)
              && (r.supersededAt() == null || r.supersededAt().isAfter(asOf));
      if (r.entityKey().equals(key)
          && visible
          && micros(r.featureTs()) + DELAY <= label
          && (best == null || r.featureTs().isAfter(best.featureTs()))) {
        best = r;
      }
    }
    if (best == null || label >= micros(best.featureTs()) + TTL) {
      return null;
    }
    return (Long) best.values()[0];
  }

  private static String key(int entity) {
    return "e" + entity;
  }

  private static Instant instant(long micros) {
    return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
  }

  private static long micros(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
  }

  private static long micros(Duration d) {
    return d.toNanos() / 1000;
  }
}
