package io.freshet.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The training-set builder's store classes: manifests round-trip, label tables read in key order,
 * output tables appear only when their transaction commits, and failures keep Postgres' message.
 */
class TrainingStoreTest {
  private static String url;

  @BeforeAll
  static void database() throws Exception {
    url = TestPostgres.freshDatabase("training_store");
    TrainingSession.migrate(url);
    try (Connection c = PostgresSessions.open(url, "freshet-test");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE public.\"La\"\"bels\" (id text PRIMARY KEY, ts bigint, n int)");
      s.execute("INSERT INTO public.\"La\"\"bels\" VALUES ('b', 2, NULL), ('a', 1, 7)");
    }
  }

  @Test
  void manifests_round_trip_and_are_removed() throws Exception {
    UUID id = UUID.randomUUID();
    TrainingSetTables.SetRow set =
        new TrainingSetTables.SetRow(
            id,
            Instant.parse("2026-11-20T12:00:00.123456Z"),
            Instant.parse("2026-11-20T11:00:00Z"),
            "csv:labels.csv",
            "a".repeat(64),
            "ts",
            null,
            List.of("v:f", "v:g"),
            List.of("f", "g"),
            false,
            "csv:out.csv",
            "c".repeat(64),
            2,
            1,
            "as-served");
    List<TrainingSetTables.ViewRow> views =
        List.of(
            new TrainingSetTables.ViewRow(
                "v",
                "f".repeat(10),
                "f".repeat(64),
                List.of("user_id"),
                7_200_000_000L,
                0,
                Instant.parse("2026-11-20T10:00:00.000001Z"),
                3),
            new TrainingSetTables.ViewRow(
                "w", "e".repeat(10), "e".repeat(64), List.of("user_id"), 1, 0, null, 0));
    try (TrainingSession s = TrainingSession.open(url)) {
      s.begin();
      TrainingSetTables.insert(s, set, views);
      s.commit();
      assertThat(TrainingSetTables.load(s, id))
          .contains(new TrainingSetTables.Recorded(set, views));
      TrainingSetTables.delete(s, id);
      assertThat(TrainingSetTables.load(s, id)).isEmpty();
    }
  }

  @Test
  void label_tables_are_read_in_primary_key_order() throws Exception {
    try (TrainingSession s = TrainingSession.open(url)) {
      s.beginReadOnly();
      LabelTables.Table t = LabelTables.find(s, "public", "La\"bels").orElseThrow();
      assertThat(t.columns()).extracting(LabelTables.Column::name).containsExactly("id", "ts", "n");
      assertThat(t.orderBy()).isEqualTo("\"id\" COLLATE \"C\"");
      List<String> rows = new ArrayList<>();
      CopyOutStream out = t.copyRows(s);
      byte[] row;
      while ((row = out.readRow()) != null) {
        rows.add(new String(row, StandardCharsets.UTF_8));
      }
      s.commit();
      assertThat(rows).containsExactly("a\t1\t7\n", "b\t2\t\\N\n");
      assertThat(LabelTables.find(s, "public", "none")).isEmpty();
    }
  }

  @Test
  void output_tables_appear_when_committed() throws Exception {
    try (TrainingSession s = TrainingSession.open(url)) {
      assertThat(OutputTables.schemaExists(s, "public")).isTrue();
      assertThat(OutputTables.schemaExists(s, "nowhere")).isFalse();
      s.begin();
      try (CopyInStream in =
          OutputTables.create(
              s, "public", "out", List.of("k", "v"), List.of("text", "bigint"), false)) {
        in.write(new StringBuilder("a\t1\nb\t\\N\n"));
        assertThat(in.end()).isEqualTo(2);
      }
      s.rollback();
      assertThat(OutputTables.exists(s, "public", "out")).isFalse();
      s.begin();
      try (CopyInStream in =
          OutputTables.create(s, "public", "out", List.of("k"), List.of("text"), true)) {
        in.write(new StringBuilder("a\n"));
        in.end();
      }
      s.commit();
      assertThat(OutputTables.exists(s, "public", "out")).isTrue();
    }
  }

  @Test
  void failures_keep_the_database_message() throws Exception {
    try (TrainingSession s = TrainingSession.open(url)) {
      s.begin();
      assertThatThrownBy(
              () -> OutputTables.create(s, "nowhere", "out", List.of("k"), List.of("text"), false))
          .isInstanceOf(OfflineStoreException.class)
          .hasMessageContaining("schema \"nowhere\" does not exist")
          .hasCauseInstanceOf(SQLException.class);
      s.rollback();
    }
  }
}
