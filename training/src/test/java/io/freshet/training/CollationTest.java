package io.freshet.training;

import static io.freshet.training.OfflineDatabase.USERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.freshet.offline.OfflineTable;
import io.freshet.training.OfflineDatabase.Row;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Entity keys that a linguistic collation, Java's {@code String.compareTo} and bytewise order all
 * sort differently, in a database whose default collation is linguistic: the join must not care.
 */
class CollationTest {
  private static final List<String> KEYS =
      List.of("a", "B", "ä", "😀", "a b", "Ａ", "A", "ab", "b", "z", "ß", "\uFFFD", "a\tb");

  @TempDir Path dir;

  @Test
  void keys_that_collations_order_differently_join_correctly() throws Exception {
    OfflineDatabase db = OfflineDatabase.freshWithLinguisticCollation();
    assumeTrue(db != null, "the Postgres server has no ICU collations");
    try (db) {
      db.create(USERS);
      Instant base = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(3));
      List<Row> rows = new ArrayList<>();
      for (int k = 0; k < KEYS.size(); k++) {
        for (int step = 0; step < 4; step++) {
          Instant f = base.plus(Duration.ofMinutes(15L * step));
          Object[] v = {100L * k + step, 0L, 0.0, 0L, 0L, KEYS.get(k), 0.0, 0.0};
          rows.add(new Row(KEYS.get(k), f, v, f, null));
        }
      }
      db.insert(USERS, rows);

      // the premise: three different orders
      List<String> byDatabase =
          db.strings(
              "SELECT entity_key FROM "
                  + OfflineTable.of(USERS).qualifiedName()
                  + " GROUP BY entity_key ORDER BY entity_key COLLATE \"default\"");
      List<String> byBytes = new ArrayList<>(KEYS);
      byBytes.sort(
          Comparator.comparing(s -> s.getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned));
      List<String> byJava = new ArrayList<>(KEYS);
      byJava.sort(Comparator.naturalOrder());
      assertThat(byDatabase).containsExactlyInAnyOrderElementsOf(KEYS);
      assertThat(byDatabase).isNotEqualTo(byBytes);
      assertThat(byJava).isNotEqualTo(byBytes);

      // labels per key: before the first row is visible, on each row, after the last expires
      Path labels = dir.resolve("labels.csv");
      List<String[]> expected = new ArrayList<>();
      try (Writer w = Files.newBufferedWriter(labels, StandardCharsets.UTF_8)) {
        Csv.writeRecord(w, new String[] {"user_id", "event_timestamp"});
        for (int k = KEYS.size() - 1; k >= 0; k--) {
          Duration delay = Duration.ofMinutes(10);
          Instant[] times = {
            base.plus(delay).minusMillis(1),
            base.plus(delay),
            base.plus(Duration.ofMinutes(45)).plus(delay),
            base.plus(Duration.ofMinutes(45)).plus(Duration.ofHours(2)).minusMillis(1),
            base.plus(Duration.ofMinutes(45)).plus(Duration.ofHours(2)),
          };
          String[] counts = {null, 100L * k + "", 100L * k + 3 + "", 100L * k + 3 + "", null};
          for (int t = 0; t < times.length; t++) {
            Csv.writeRecord(w, new String[] {KEYS.get(k), times[t].toString()});
            expected.add(
                new String[] {KEYS.get(k), counts[t], counts[t] == null ? null : KEYS.get(k)});
          }
        }
      }
      for (int connections : new int[] {1, 4}) {
        Path out = dir.resolve("out-" + connections + ".csv");
        TrainingSetBuilder.open(OfflineDatabase.CATALOG, db.url)
            .withParallelism(connections)
            .withMinEntitiesPerSlice(1)
            .build(
                TrainingSetRequest.of(
                    LabelSource.csv(labels),
                    FeatureSelection.of(
                        "user_activity:event_count_1h", "user_activity:last_platform"),
                    TrainingSetOutput.csv(out)));
        TrainingSetFile set = TrainingSetFile.read(out);
        assertThat(set.rows()).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
          String[] row = set.rows().get(i);
          assertThat(new String[] {row[0], row[2], row[3]})
              .as("row %d, key %s, at %s", i, row[0], row[1])
              .containsExactly(expected.get(i));
        }
      }
    }
  }
}
