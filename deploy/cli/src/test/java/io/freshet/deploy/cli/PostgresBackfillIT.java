package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.examples.UserActivity;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.UserActivityEventTable;
import io.freshet.testing.UserActivityOracle;
import io.freshet.testing.UserActivityOracle.Ev;
import io.freshet.testing.UserActivityOracle.Row;
import io.freshet.testing.UserActivityOracle.StoredRow;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code freshet backfill --from-postgres} run locally for real (the job jar's BackfillJob in a
 * child JVM reading a real Postgres table with the JDBC connector): generated events with disorder,
 * late and malformed rows. The offline rows equal a brute-force oracle's and a JSON-lines
 * backfill's of the same events; the malformed rows are kept with the decoder's reasons; a second
 * run through {@code deploy/bin/freshet} adds nothing.
 */
class PostgresBackfillIT {
  private static final ViewPlan PLAN = ViewPlan.of(UserActivity.view());

  @TempDir Path dir;

  @Test
  void backfills_a_postgres_table_like_json_lines_and_keeps_malformed_rows() throws Exception {
    List<UserActivityEventTable.Generated> rows =
        UserActivityEventTable.generate(new Random(71), 2_000);
    List<Ev> valid = UserActivityEventTable.valid(rows);
    Map<String, List<Row>> expected = cents(UserActivityOracle.rows(valid, Long.MAX_VALUE));
    long expectedRows = expected.values().stream().mapToLong(List::size).sum();

    String pg = TestPostgres.freshDatabase("cli_pg_backfill");
    UserActivityEventTable.create(pg, rows);
    assertThat(Cli.run("apply", "--pg-url", pg).exitCode()).isZero();

    Cli.Result run =
        Cli.run(
            "backfill",
            "--view",
            "user_activity",
            "--from-postgres",
            "events",
            "--local",
            "--pg-url",
            pg,
            "--timeout",
            "3m");
    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out())
        .contains("Postgres table events")
        .contains("user_activity: " + expectedRows + " rows written");
    assertThat(stored(pg)).isEqualTo(expected);
    // every row is read once, malformed or not; a Postgres read's size is not known up front, so
    // its progress has a count and a rate but no share
    assertThat(run.err())
        .containsPattern(
            "(?m)^events read: done, "
                + String.format(java.util.Locale.ROOT, "%,d", rows.size())
                + " events in [0-9.]+ s, [0-9,]+ events/s$")
        .doesNotContain("%");
    Map<String, Long> reasons = UserActivityEventTable.reasons(rows);
    assertThat(reasons).hasSize(4);
    assertThat(UserActivityEventTable.rejectedReasons(pg, "postgres:events@(")).isEqualTo(reasons);

    Path lines = dir.resolve("events.jsonl");
    Random r = new Random(9);
    Files.write(lines, valid.stream().map(e -> UserActivityOracle.json(e, r)).toList());
    String jsonDb = TestPostgres.freshDatabase("cli_json_backfill");
    assertThat(Cli.run("apply", "--pg-url", jsonDb).exitCode()).isZero();
    Cli.Result json =
        Cli.run(
            "backfill",
            "--view",
            "user_activity",
            "--input",
            lines.toString(),
            "--local",
            "--pg-url",
            jsonDb,
            "--timeout",
            "3m");
    assertThat(json.exitCode()).as(json.toString()).isZero();
    assertThat(stored(jsonDb)).isEqualTo(stored(pg));

    Cli.Result again =
        Wrapper.run(
            Map.of("FRESHET_PG_URL", pg),
            Duration.ofMinutes(4),
            "backfill",
            "--view",
            "user_activity",
            "--from-postgres",
            "SELECT * FROM events",
            "--local",
            "--timeout",
            "3m");
    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(again.out()).contains("user_activity: 0 rows written");
    assertThat(stored(pg)).isEqualTo(expected);
  }

  @Test
  void refuses_what_it_cannot_read_with_the_reason() throws Exception {
    String pg = TestPostgres.freshDatabase("cli_pg_backfill_errors");
    UserActivityEventTable.create(pg, UserActivityEventTable.generate(new Random(1), 10));

    Cli.Result semicolon = backfill(pg, "SELECT * FROM events; DROP TABLE events");
    assertThat(semicolon.exitCode()).isEqualTo(2);
    assertThat(semicolon.err())
        .contains(
            "--from-postgres: 'SELECT * FROM events; DROP TABLE events' contains ';': give one"
                + " table name or one SELECT");

    Cli.Result noTable = backfill(pg, "evnets");
    assertThat(noTable.exitCode()).isEqualTo(2);
    assertThat(noTable.err()).contains("--from-postgres: there is no table evnets in");

    Cli.Result noColumn = backfill(pg, "SELECT user_id, event_type FROM events");
    assertThat(noColumn.exitCode()).isEqualTo(2);
    assertThat(noColumn.err())
        .contains(
            "has no column event_ts: view user_activity needs its key user_id and its event time"
                + " event_ts (columns are user_id, event_type; rename with AS in a SELECT)");

    Cli.Result badSql = backfill(pg, "SELECT * FROM events WHERE nope > 1");
    assertThat(badSql.exitCode()).isEqualTo(2);
    assertThat(badSql.err()).contains("Postgres refuses").contains("nope");
  }

  private static Cli.Result backfill(String pg, String relation) {
    return Cli.run(
        "backfill", "--view", "user_activity", "--from-postgres", relation, "--pg-url", pg);
  }

  private static Map<String, List<Row>> stored(String pg) throws SQLException {
    Map<String, List<Row>> out = new TreeMap<>();
    for (var e :
        UserActivityOracle.storedRows(pg, OfflineTable.of(PLAN).qualifiedName()).entrySet()) {
      out.put(e.getKey(), e.getValue().stream().map(StoredRow::row).toList());
    }
    return cents(out);
  }

  /** Revenue compared at cents: the table stores a double, the oracle exact decimals. */
  private static Map<String, List<Row>> cents(Map<String, List<Row>> rows) {
    Map<String, List<Row>> out = new TreeMap<>();
    rows.forEach(
        (user, list) ->
            out.put(
                user,
                list.stream()
                    .map(
                        x ->
                            new Row(
                                x.user(),
                                x.featureTs(),
                                x.events(),
                                x.purchases(),
                                x.revenue().setScale(2, RoundingMode.HALF_EVEN),
                                x.sessions(),
                                x.products(),
                                x.lastPlatform()))
                    .toList()));
    return out;
  }
}
