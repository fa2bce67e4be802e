package io.freshet.offline;

import static io.freshet.dsl.Aggregation.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.PostgresTableSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console's reads of freshness and rejected events, against generated rows in a real Postgres,
 * each compared with the same figure computed here from the rows generated.
 */
class ViewHealthTest {
  private static final SlidingWindow HOUR =
      SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
  private static final KafkaJsonSource CLICKS =
      KafkaJsonSource.topic("clicks").keyedBy("user_id").eventTimeField("ts");
  private static final ViewPlan WINDOWS =
      ViewPlan.of(
          FeatureView.named("health_windows")
              .source(CLICKS)
              .feature(Feature.named("n").aggregate(count()).over(HOUR))
              .build());
  private static final ViewPlan TILES =
      ViewPlan.of(
          FeatureView.named("health_tiles")
              .source(CLICKS)
              .feature(Feature.named("n").aggregate(count()).over(HOUR))
              .servedAtRequestTime()
              .build());
  private static final ViewPlan TABLE =
      ViewPlan.of(
          FeatureView.named("health_table")
              .source(
                  PostgresTableSource.table("shop.profile")
                      .keyedBy("user_id")
                      .timestampColumn("updated_at"))
              .feature(Feature.named("country").column("country", FeatureType.STRING))
              .build());
  private static final Instant T0 = Instant.parse("2026-11-20T00:00:00Z");

  private static String url;

  @BeforeAll
  static void database() throws SQLException {
    url = TestPostgres.freshDatabase("view_health");
    FreshetSchema.migrate(url, "freshet-test");
  }

  private record Row(String entity, Instant featureTs, Instant committedAt, boolean superseded) {}

  private record Marker(String target, Instant committedAt, int rows) {}

  @Test
  void freshness_of_a_window_end_view_is_its_newest_current_window_and_newest_commit()
      throws SQLException {
    Random random = new Random(7);
    OfflineTable table = OfflineTable.of(WINDOWS);
    List<Row> rows = new ArrayList<>();
    List<Marker> markers = new ArrayList<>();
    try (Connection c = PostgresSessions.open(url, "test")) {
      OfflineTables.ensure(c, table, PostgresSessions.dataSource(url, "test"));
      for (int i = 0; i < 400; i++) {
        Instant featureTs = T0.plus(Duration.ofMinutes(15L * random.nextInt(300)));
        Instant committedAt = featureTs.plusMillis(random.nextInt(600_000));
        // Superseded versions may have later windows than any current one: they must not count.
        boolean superseded = random.nextInt(4) == 0;
        if (superseded) {
          featureTs = featureTs.plus(Duration.ofDays(5));
        }
        rows.add(new Row("u" + i, featureTs, committedAt, superseded));
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO "
                  + table.qualifiedName()
                  + " (entity_key, feature_ts, committed_at, superseded_at) VALUES (?, ?, ?, ?)")) {
        for (Row r : rows) {
          ps.setString(1, r.entity());
          ps.setTimestamp(2, Timestamp.from(r.featureTs()));
          ps.setTimestamp(3, Timestamp.from(r.committedAt()));
          ps.setTimestamp(
              4, r.superseded() ? Timestamp.from(r.committedAt().plusSeconds(1)) : null);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      for (int i = 0; i < 60; i++) {
        // Several subtasks commit at the same instant: their rows add up.
        Instant at = T0.plusSeconds(60L * random.nextInt(20));
        String target = random.nextInt(3) == 0 ? "other__0123456789" : table.tableName();
        markers.add(new Marker(target, at, 1 + random.nextInt(50)));
      }
      markers.add(new Marker("other__0123456789", T0.plus(Duration.ofDays(30)), 5));
      insertMarkers(c, markers);
    }

    ViewHealth.Freshness f = ViewHealth.freshness(url, WINDOWS);

    Instant newest =
        rows.stream()
            .filter(r -> !r.superseded())
            .map(Row::featureTs)
            .max(Comparator.naturalOrder())
            .orElseThrow();
    Instant newestCommit =
        markers.stream()
            .filter(m -> m.target().equals(table.tableName()))
            .map(Marker::committedAt)
            .max(Comparator.naturalOrder())
            .orElseThrow();
    long rowsThen =
        markers.stream()
            .filter(m -> m.target().equals(table.tableName()))
            .filter(m -> m.committedAt().equals(newestCommit))
            .mapToLong(Marker::rows)
            .sum();
    assertThat(f.table()).isEqualTo(table.qualifiedName());
    assertThat(f.newestFeatureTs()).isEqualTo(newest);
    assertThat(f.newestCommitAt()).isEqualTo(newestCommit);
    assertThat(f.rowsInNewestCommit()).isEqualTo(rowsThen);
    assertThat(f.note()).isNull();
  }

  @Test
  void freshness_of_a_request_time_view_is_the_end_of_its_newest_tile() throws SQLException {
    Random random = new Random(11);
    TileTable tiles = TileTable.of(TILES);
    Instant newestStart = null;
    try (Connection c = PostgresSessions.open(url, "test")) {
      OfflineTables.ensure(c, tiles, PostgresSessions.dataSource(url, "test"));
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO "
                  + tiles.qualifiedName()
                  + " (entity_key, tile_start, version, payload) VALUES (?, ?, 1, ?)")) {
        for (int i = 0; i < 200; i++) {
          Instant start = T0.plusMillis(TILES.tileMillis() * random.nextInt(5000));
          newestStart = newestStart == null || start.isAfter(newestStart) ? start : newestStart;
          ps.setString(1, "u" + i);
          ps.setTimestamp(2, Timestamp.from(start));
          ps.setBytes(3, new byte[] {1});
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }

    ViewHealth.Freshness f = ViewHealth.freshness(url, TILES);

    assertThat(f.table()).isEqualTo(tiles.qualifiedName());
    assertThat(f.newestFeatureTs()).isEqualTo(newestStart.plusMillis(TILES.tileMillis()));
    assertThat(f.newestCommitAt()).isNull();
    assertThat(f.note()).contains("no commit marker");
  }

  @Test
  void freshness_of_a_table_view_is_its_last_load() throws SQLException {
    assertThat(ViewHealth.freshness(url, TABLE).note()).contains("freshet materialize");
    Instant finished = Instant.parse("2026-11-21T08:00:00Z");
    try (Connection c = PostgresSessions.open(url, "test")) {
      TableLoads.record(
          c, TABLE.name(), TABLE.versionTag(), null, 1_000L, 10, finished.minusSeconds(9));
      TableLoads.record(
          c, TABLE.name(), TABLE.versionTag(), 1_000L, 5_000L, 3, finished.minusSeconds(1));
      TableLoads.record(c, TABLE.name(), "0000000000", 5_000L, 9_000L, 3, finished);
    }

    ViewHealth.Freshness f = ViewHealth.freshness(url, TABLE);

    assertThat(f.newestFeatureTs()).isEqualTo(Instant.ofEpochMilli(5_000));
    assertThat(f.rowsInNewestCommit()).isEqualTo(3);
  }

  @Test
  void a_newest_window_not_found_within_the_budget_is_a_note_not_an_error() throws SQLException {
    ViewPlan locked =
        ViewPlan.of(
            FeatureView.named("health_locked")
                .source(CLICKS)
                .feature(Feature.named("n").aggregate(count()).over(HOUR))
                .build());
    OfflineTable table = OfflineTable.of(locked);
    try (Connection c = PostgresSessions.open(url, "test")) {
      OfflineTables.ensure(c, table, PostgresSessions.dataSource(url, "test"));
    }
    // A transaction holding the table keeps the search waiting, as a table too large to read
    // within the budget keeps it reading: either way the statement timeout ends it.
    try (Connection holder = PostgresSessions.open(url, "test")) {
      holder.setAutoCommit(false);
      try (var s = holder.createStatement()) {
        s.execute("LOCK TABLE " + table.qualifiedName() + " IN ACCESS EXCLUSIVE MODE");
      }

      ViewHealth.Freshness f = ViewHealth.freshness(url, locked);

      assertThat(f.newestFeatureTs()).isNull();
      assertThat(f.note())
          .isEqualTo(
              "the table is too large to find its newest window end within 2 s (no index orders"
                  + " feature_ts); the newest commit is from the commit markers");
      holder.rollback();
    }
  }

  @Test
  void rejected_events_not_read_within_the_budget_fail_with_postgres_reason() throws SQLException {
    try (Connection holder = PostgresSessions.open(url, "test")) {
      holder.setAutoCommit(false);
      try (var s = holder.createStatement()) {
        s.execute("LOCK TABLE " + RejectedEvents.TABLE + " IN ACCESS EXCLUSIVE MODE");
      }

      assertThatThrownBy(() -> ViewHealth.rejected(url, "rej_a", 5))
          .isInstanceOf(OfflineStoreException.class)
          .hasMessageContaining("statement timeout");
      holder.rollback();
    }
  }

  @Test
  void a_view_whose_table_does_not_exist_says_so() {
    ViewPlan never =
        ViewPlan.of(
            FeatureView.named("health_never")
                .source(CLICKS)
                .feature(Feature.named("n").aggregate(count()).over(HOUR))
                .build());

    ViewHealth.Freshness f = ViewHealth.freshness(url, never);

    assertThat(f.newestFeatureTs()).isNull();
    assertThat(f.note()).contains("does not exist yet");
  }

  private record Event(
      String view,
      String kind,
      String origin,
      String reason,
      Instant eventTs,
      Instant receivedAt) {}

  @Test
  void rejected_events_are_counted_by_kind_and_reason_with_the_newest_first() throws SQLException {
    Random random = new Random(3);
    String[] views = {"rej_a", "rej_b", "rej_c"};
    String[] kinds = {"malformed", "late", "missing_key"};
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      String kind = kinds[random.nextInt(kinds.length)];
      // Many reasons per kind, more than the groups returned, with skewed counts.
      String reason = kind + " reason " + (int) Math.floor(Math.pow(random.nextDouble(), 3) * 40);
      events.add(
          new Event(
              views[random.nextInt(views.length)],
              kind,
              "t/" + random.nextInt(4) + "@" + i,
              reason,
              random.nextBoolean() ? null : T0.plusSeconds(i),
              T0.plusSeconds(random.nextInt(100_000))));
    }
    try (Connection c = PostgresSessions.open(url, "test");
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO "
                    + RejectedEvents.TABLE
                    + " (view_name, kind, origin, reason, payload, event_ts, received_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      for (Event e : events) {
        ps.setString(1, e.view());
        ps.setString(2, e.kind());
        ps.setString(3, e.origin());
        ps.setString(4, e.reason());
        ps.setString(5, "{\"n\": " + e.origin().length() + "}");
        ps.setTimestamp(6, e.eventTs() == null ? null : Timestamp.from(e.eventTs()));
        ps.setTimestamp(7, Timestamp.from(e.receivedAt()));
        ps.addBatch();
      }
      ps.executeBatch();
    }

    ViewHealth.Rejected r = ViewHealth.rejected(url, "rej_b", 5);

    List<Event> mine = events.stream().filter(e -> e.view().equals("rej_b")).toList();
    Map<List<String>, Long> counts = new HashMap<>();
    for (Event e : mine) {
      counts.merge(List.of(e.kind(), e.reason()), 1L, Long::sum);
    }
    List<ViewHealth.ReasonCount> expected =
        counts.entrySet().stream()
            .map(
                e -> new ViewHealth.ReasonCount(e.getKey().get(0), e.getKey().get(1), e.getValue()))
            .sorted(
                Comparator.comparingLong(ViewHealth.ReasonCount::count)
                    .reversed()
                    .thenComparing(ViewHealth.ReasonCount::kind)
                    .thenComparing(ViewHealth.ReasonCount::reason))
            .limit(ViewHealth.REASON_LIMIT)
            .toList();
    assertThat(counts.size()).isGreaterThan(ViewHealth.REASON_LIMIT);
    assertThat(r.total()).isEqualTo(mine.size());
    assertThat(r.byReason()).isEqualTo(expected);
    List<String> newest =
        mine.stream()
            .sorted(
                Comparator.comparing(Event::receivedAt)
                    .reversed()
                    .thenComparing(Event::kind)
                    .thenComparing(Event::origin))
            .limit(5)
            .map(e -> e.origin() + " " + e.receivedAt() + " " + e.eventTs())
            .toList();
    assertThat(r.samples().stream().map(s -> s.origin() + " " + s.receivedAt() + " " + s.eventTs()))
        .containsExactlyElementsOf(newest);
    assertThat(ViewHealth.rejected(url, "rej_none", 5))
        .isEqualTo(new ViewHealth.Rejected(0, List.of(), List.of()));
  }

  @Test
  void the_newest_rejected_events_are_read_through_an_index() throws SQLException {
    try (Connection c = PostgresSessions.open(url, "test");
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = 'freshet'"
                    + " AND indexname = 'rejected_events__recent'");
        var rs = ps.executeQuery()) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).contains("(view_name, received_at)");
    }
  }

  private static void insertMarkers(Connection c, List<Marker> markers) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO "
                + SinkCommits.TABLE
                + " (target, job_id, subtask, checkpoint_id, writer_id, row_count, committed_at)"
                + " VALUES (?, 'job', ?, 1, 1, ?, ?)")) {
      int subtask = 0;
      for (Marker m : markers) {
        ps.setString(1, m.target());
        ps.setInt(2, subtask++);
        ps.setInt(3, m.rows());
        ps.setTimestamp(4, Timestamp.from(m.committedAt()));
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }
}
