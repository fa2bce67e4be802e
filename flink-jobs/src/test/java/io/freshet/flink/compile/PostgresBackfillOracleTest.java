package io.freshet.flink.compile;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.examples.UserActivity;
import io.freshet.flink.source.PostgresEvents;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.UserActivityEventTable;
import io.freshet.testing.UserActivityEventTable.Generated;
import io.freshet.testing.UserActivityOracle;
import io.freshet.testing.UserActivityOracle.Ev;
import io.freshet.testing.UserActivityOracle.Row;
import io.freshet.testing.UserActivityOracle.StoredRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backfill from a real Postgres table, read by the JDBC connector's {@code JdbcSource} in a Flink
 * MiniCluster: generated events with disorder, late and malformed rows. The offline rows equal a
 * brute-force oracle's and those of a JSON-lines backfill of the same events; every malformed row
 * is kept in {@code freshet.rejected_events} with the decoder's reason, once, even after a second
 * run.
 */
class PostgresBackfillOracleTest {
  private static final ViewPlan PLAN = ViewPlan.of(UserActivity.view());
  private static final long T0 = UserActivityEventTable.T0;

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  @Test
  void table_backfill_equals_oracle_and_json_lines_and_keeps_rejected_rows(@TempDir Path dir)
      throws Exception {
    List<Generated> rows = UserActivityEventTable.generate(new Random(23), 2_500);
    List<Ev> valid = UserActivityEventTable.valid(rows);
    Map<String, List<Row>> expected = cents(UserActivityOracle.rows(valid, Long.MAX_VALUE));

    String pg = TestPostgres.freshDatabase("pg_backfill");
    UserActivityEventTable.create(pg, rows);
    backfill(pg, new BackfillSource.Postgres(pg, new PostgresEvents("events", null, null)));
    Map<String, List<Row>> fromTable = stored(pg);
    assertThat(fromTable).isEqualTo(expected);

    Path lines = dir.resolve("events.jsonl");
    Random r = new Random(5);
    Files.write(lines, valid.stream().map(e -> UserActivityOracle.json(e, r)).toList());
    String jsonDb = TestPostgres.freshDatabase("pg_backfill_json");
    backfill(jsonDb, new BackfillSource.JsonLines(lines.toString()));
    assertThat(stored(jsonDb)).isEqualTo(fromTable);

    Map<String, Long> expectedReasons = UserActivityEventTable.reasons(rows);
    assertThat(expectedReasons).hasSize(4);
    assertThat(rejectedReasons(pg)).isEqualTo(expectedReasons);

    // A second run over the same table adds no row and keeps each rejected row once.
    backfill(pg, new BackfillSource.Postgres(pg, new PostgresEvents("events", null, null)));
    assertThat(stored(pg)).isEqualTo(expected);
    assertThat(rejectedReasons(pg)).isEqualTo(expectedReasons);
  }

  @Test
  void query_with_timestamptz_and_event_time_range_reads_only_the_range() throws Exception {
    List<Generated> rows = UserActivityEventTable.generate(new Random(41), 1_500);
    Instant from = Instant.ofEpochMilli(T0 + 3_600_000L);
    Instant to = Instant.ofEpochMilli(T0 + 4 * 3_600_000L);
    List<Ev> inRange =
        rows.stream()
            .map(Generated::event)
            .filter(e -> e != null && e.ts() >= from.toEpochMilli() && e.ts() < to.toEpochMilli())
            .toList();
    String pg = TestPostgres.freshDatabase("pg_backfill_range");
    UserActivityEventTable.create(pg, rows);
    String query =
        "SELECT user_id, event_type, product_id, revenue, session_id, platform,"
            + " to_timestamp(event_ts / 1000.0) AS event_ts FROM events"
            + " WHERE user_id IS NOT NULL AND event_ts > 946684800000"
            + " AND jsonb_typeof(revenue) IS DISTINCT FROM 'string'";
    backfill(pg, new BackfillSource.Postgres(pg, new PostgresEvents(query, from, to)));

    assertThat(stored(pg)).isEqualTo(cents(UserActivityOracle.rows(inRange, Long.MAX_VALUE)));
    assertThat(rejectedReasons(pg)).isEmpty();
  }

  private static void backfill(String pg, BackfillSource source) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    BackfillCompiler.compile(env, List.of(PLAN), source, pg, null);
    env.execute("postgres backfill");
  }

  private static Map<String, List<Row>> stored(String pg) throws SQLException {
    Map<String, List<Row>> out = new TreeMap<>();
    for (var e :
        UserActivityOracle.storedRows(pg, OfflineTable.of(PLAN).qualifiedName()).entrySet()) {
      out.put(e.getKey(), e.getValue().stream().map(StoredRow::row).toList());
    }
    return cents(out);
  }

  private static Map<String, List<Row>> cents(Map<String, List<Row>> rows) {
    Map<String, List<Row>> out = new TreeMap<>();
    rows.forEach(
        (user, list) ->
            out.put(user, list.stream().map(PostgresBackfillOracleTest::exact).toList()));
    return out;
  }

  /** The stored revenue is a double; the oracle's exact decimals are compared at cents. */
  private static Row exact(Row r) {
    return new Row(
        r.user(),
        r.featureTs(),
        r.events(),
        r.purchases(),
        r.revenue().setScale(2, java.math.RoundingMode.HALF_EVEN),
        r.sessions(),
        r.products(),
        r.lastPlatform());
  }

  private static Map<String, Long> rejectedReasons(String pg) throws SQLException {
    return UserActivityEventTable.rejectedReasons(pg, "postgres:events@(");
  }
}
