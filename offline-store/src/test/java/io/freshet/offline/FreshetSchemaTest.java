package io.freshet.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Aggregation;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * The one history of schema {@code freshet} on new databases and on databases migrated before it,
 * by the registry's and the training builder's separate histories and the sinks' own DDL.
 */
class FreshetSchemaTest {
  private static final OfflineTable OFFLINE =
      OfflineTable.of(
          ViewPlan.of(
              FeatureView.named("clicks")
                  .source(KafkaJsonSource.topic("clicks").keyedBy("user_id").eventTimeField("ts"))
                  .feature(
                      Feature.named("n")
                          .aggregate(Aggregation.count())
                          .over(SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15))))
                  .build()));

  /** What the sinks ran before the table was a migration. */
  private static final List<String> OLD_SINK_DDL =
      List.of(
          "CREATE SCHEMA IF NOT EXISTS freshet",
          "CREATE TABLE IF NOT EXISTS freshet.sink_commits (\n"
              + "  target text NOT NULL,\n"
              + "  job_id text NOT NULL,\n"
              + "  subtask integer NOT NULL,\n"
              + "  checkpoint_id bigint NOT NULL,\n"
              + "  writer_id bigint NOT NULL,\n"
              + "  row_count integer NOT NULL,\n"
              + "  committed_at timestamptz NOT NULL DEFAULT now(),\n"
              + "  PRIMARY KEY (target, job_id, subtask, checkpoint_id, writer_id)\n"
              + ")",
          "CREATE INDEX IF NOT EXISTS sink_commits__age ON freshet.sink_commits"
              + " (target, committed_at)",
          "CREATE TABLE IF NOT EXISTS freshet.rejected_events (\n"
              + "  view_name text NOT NULL,\n"
              + "  kind text NOT NULL,\n"
              + "  origin text NOT NULL,\n"
              + "  reason text NOT NULL,\n"
              + "  payload text,\n"
              + "  event_ts timestamptz,\n"
              + "  received_at timestamptz NOT NULL DEFAULT now(),\n"
              + "  PRIMARY KEY (view_name, kind, origin)\n"
              + ")");

  private static final String SHA = "ab".repeat(32);

  @Test
  void an_empty_database_gets_every_table_in_one_history() throws SQLException {
    String url = TestPostgres.freshDatabase("schema_new");

    FreshetSchema.migrate(url, "freshet-test");
    FreshetSchema.migrate(url, "freshet-test");

    assertThat(history(url, "flyway_schema_history"))
        .containsExactly("1 true", "2 true", "3 true", "4 true", "5 true", "6 true", "7 true");
    assertThat(tables(url))
        .containsExactly(
            "applies",
            "feature_services",
            "feature_views",
            "flyway_schema_history",
            "rejected_events",
            "sink_commits",
            "table_loads",
            "training_set_views",
            "training_sets");
  }

  @Test
  void a_database_migrated_by_the_two_old_histories_and_the_sinks_keeps_its_rows()
      throws SQLException {
    String url = TestPostgres.freshDatabase("schema_old");
    Flyway.configure(getClass().getClassLoader())
        .dataSource(url, null, null)
        .schemas("freshet")
        .defaultSchema("freshet")
        .table("flyway_schema_history")
        .locations("classpath:db/migration/freshet")
        .target("1")
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .load()
        .migrate();
    Flyway.configure(getClass().getClassLoader())
        .dataSource(url, null, null)
        .schemas("freshet")
        .defaultSchema("freshet")
        .table("training_schema_history")
        .locations("classpath:db/legacy/training")
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .load()
        .migrate();
    execute(url, OLD_SINK_DDL);
    execute(url, OFFLINE.createStatements());
    execute(
        url,
        List.of(
            "INSERT INTO freshet.applies (applied_at, summary) VALUES (now(), 'clicks v1 new')",
            "INSERT INTO freshet.training_sets VALUES ('00000000-0000-0000-0000-000000000001',"
                + " now(), now(), 'csv:/l.csv', '"
                + SHA
                + "', 'ts', null, '{clicks:n}', '{n}', false, 'csv:/o.csv', '"
                + SHA
                + "', 3, 1)",
            "INSERT INTO freshet.sink_commits (target, job_id, subtask, checkpoint_id, writer_id,"
                + " row_count) VALUES ('clicks__x', 'job', 0, 7, 1, 10)",
            "INSERT INTO freshet.rejected_events (view_name, kind, origin, reason)"
                + " VALUES ('clicks', 'LATE', 't/0@1', 'late')",
            "INSERT INTO "
                + OFFLINE.qualifiedName()
                + " (entity_key, feature_ts, \"n\") VALUES ('u1', now(), 4)"));
    // the layout V2 to V4 keep, with V5's columns, V6's table and V7's index added (all idempotent)
    execute(url, List.of(v5(), v6(), v7()));
    List<String> layout = layout(url);

    FreshetSchema.migrate(url, "freshet-test");
    FreshetSchema.migrate(url, "freshet-test");

    assertThat(history(url, "flyway_schema_history"))
        .containsExactly("1 true", "2 true", "3 true", "4 true", "5 true", "6 true", "7 true");
    assertThat(history(url, "training_schema_history")).containsExactly("0 true", "1 true");
    assertThat(layout(url)).isEqualTo(layout);
    for (String table :
        List.of(
            "freshet.applies",
            "freshet.training_sets",
            "freshet.sink_commits",
            "freshet.rejected_events",
            OFFLINE.qualifiedName())) {
      assertThat(count(url, table)).as(table).isOne();
    }
  }

  @Test
  void the_migrated_layout_is_the_one_the_old_histories_and_the_sinks_made() throws SQLException {
    String old = TestPostgres.freshDatabase("schema_old_layout");
    Flyway.configure(getClass().getClassLoader())
        .dataSource(old, null, null)
        .schemas("freshet")
        .defaultSchema("freshet")
        .table("flyway_schema_history")
        .locations("classpath:db/migration/freshet")
        .target("1")
        .load()
        .migrate();
    Flyway.configure(getClass().getClassLoader())
        .dataSource(old, null, null)
        .schemas("freshet")
        .defaultSchema("freshet")
        .table("training_schema_history")
        .locations("classpath:db/legacy/training")
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .load()
        .migrate();
    execute(old, OLD_SINK_DDL);
    execute(old, List.of(v5(), v6(), v7()));
    String fresh = TestPostgres.freshDatabase("schema_new_layout");

    FreshetSchema.migrate(fresh, "freshet-test");

    assertThat(layout(fresh)).isEqualTo(layout(old)).isNotEmpty();
  }

  @Test
  void a_schema_with_tables_but_no_history_is_baselined_then_migrated() throws SQLException {
    String url = TestPostgres.freshDatabase("schema_no_history");
    execute(url, OLD_SINK_DDL);
    execute(url, OFFLINE.createStatements());

    FreshetSchema.migrate(url, "freshet-test");

    assertThat(history(url, "flyway_schema_history"))
        .containsExactly(
            "0 true", "1 true", "2 true", "3 true", "4 true", "5 true", "6 true", "7 true");
  }

  /** Columns, types, defaults and index definitions of every fixed table in the schema. */
  private static List<String> layout(String url) throws SQLException {
    List<String> out =
        strings(
            url,
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' '"
                + " || is_nullable || ' ' || coalesce(column_default, '')"
                + " FROM information_schema.columns WHERE table_schema = 'freshet'"
                + " AND table_name IN ('applies', 'feature_views', 'feature_services',"
                + " 'training_sets', 'training_set_views', 'sink_commits', 'rejected_events')"
                + " ORDER BY table_name, ordinal_position");
    out.addAll(
        strings(
            url,
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'freshet'"
                + " AND tablename NOT LIKE '%history' AND tablename NOT LIKE 'clicks%'"
                + " ORDER BY indexname"));
    out.addAll(
        strings(
            url,
            "SELECT conrelid::regclass || ' ' || pg_get_constraintdef(oid) FROM pg_constraint"
                + " WHERE connamespace = 'freshet'::regnamespace"
                + " AND conrelid::regclass::text NOT LIKE '%history' ORDER BY conname"));
    return out;
  }

  /** Migration V5, which only adds columns, as one script. */
  private static String v5() {
    return script("/db/migration/freshet/V5__training_semantics.sql");
  }

  /** Migration V6, which only adds a table, as one script. */
  private static String v6() {
    return script("/db/migration/freshet/V6__table_loads.sql");
  }

  /** Migration V7, which only adds an index, as one script. */
  private static String v7() {
    return script("/db/migration/freshet/V7__rejected_events_recent.sql");
  }

  private static String script(String resource) {
    try (java.io.InputStream in = FreshetSchemaTest.class.getResourceAsStream(resource)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<String> history(String url, String table) throws SQLException {
    return strings(
        url,
        "SELECT version || ' ' || success FROM freshet."
            + table
            + " WHERE version IS NOT NULL ORDER BY installed_rank");
  }

  private static List<String> tables(String url) throws SQLException {
    return strings(
        url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'freshet'"
            + " ORDER BY table_name");
  }

  private static long count(String url, String table) throws SQLException {
    return Long.parseLong(strings(url, "SELECT count(*) FROM " + table).get(0));
  }

  private static void execute(String url, List<String> statements) throws SQLException {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  private static List<String> strings(String url, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }
}
