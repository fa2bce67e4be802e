package io.freshet.training;

import static io.freshet.training.OfflineDatabase.USERS;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.offline.OfflineTable;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prints how fast a training set builds: 200k labels over 1M offline rows of {@code user_activity}
 * (50k users, 20 windows each), read through the whole path (CSV labels, the join, CSV output,
 * manifest). A figure, not a timed assertion; sizes can be changed with {@code
 * -Dfreshet.training.labels} and {@code -Dfreshet.training.users}.
 */
class ThroughputTest {
  @TempDir Path dir;

  @Test
  void prints_labels_per_second() throws Exception {
    int users = Integer.getInteger("freshet.training.users", 50_000);
    int labelCount = Integer.getInteger("freshet.training.labels", 200_000);
    int windows = 20;
    Instant base = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(3));
    try (OfflineDatabase db = OfflineDatabase.fresh()) {
      db.create(USERS);
      OfflineTable table = OfflineTable.of(USERS);
      db.execute(
          "INSERT INTO "
              + table.qualifiedName()
              + " SELECT 'user-' || u, b + s * interval '15 minutes', (u + s) % 40, (u * s) % 3,"
              + " ((u * s) % 300) / 7.0, u % 5, s % 4, (ARRAY['web','ios','android'])[1 + u % 3],"
              + " ((u * s) % 3) / 40.0, 0.5, b + s * interval '15 minutes' + interval '1 minute'"
              + " FROM (SELECT timestamptz '"
              + base
              + "' AS b) t, generate_series(0, "
              + (users - 1)
              + ") u, generate_series(0, "
              + (windows - 1)
              + ") s");
      db.execute("ANALYZE " + table.qualifiedName());
      Path labels = dir.resolve("labels.csv");
      Random random = new Random(1);
      long span = Duration.ofMinutes(15L * windows + 120).toMillis();
      try (Writer w = Files.newBufferedWriter(labels, StandardCharsets.UTF_8)) {
        w.write("label_id,user_id,event_timestamp,target\n");
        for (int i = 0; i < labelCount; i++) {
          long t = base.toEpochMilli() + (long) (random.nextDouble() * span);
          w.write(i + ",user-" + random.nextInt(users) + "," + t + "," + (i % 2) + "\n");
        }
      }
      TrainingSetRequest request =
          TrainingSetRequest.of(
              LabelSource.csv(labels),
              FeatureSelection.of(
                  "user_activity:event_count_1h",
                  "user_activity:revenue_1h",
                  "user_activity:last_platform"),
              TrainingSetOutput.csv(dir.resolve("train.csv")));
      TrainingSetBuilder builder = TrainingSetBuilder.open(OfflineDatabase.CATALOG, db.url);
      builder.withParallelism(1).build(request); // warm-up: JIT, server caches

      for (int connections : new int[] {1, 4}) {
        long start = System.nanoTime();
        TrainingSetManifest m = builder.withParallelism(connections).build(request);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(m.rowCount()).isEqualTo(labelCount);
        System.out.printf(
            "training-set throughput: %d labels over %d offline rows, %d connection(s):"
                + " %.2f s, %.0f labels/s%n",
            labelCount, (long) users * windows, connections, seconds, labelCount / seconds);
      }
    }
  }
}
