package io.freshet.offline;

import static io.freshet.dsl.Aggregation.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.Tile;
import io.freshet.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tile history: versions and marker in one transaction, a replay and a stored version left as
 * they are, visibility instants to the microsecond (null for never served), and the reads back in
 * bytewise entity order.
 */
class OfflineTileWriterTest {
  private static final ViewPlan PLAN =
      ViewPlan.of(
          FeatureView.named("clicks_live")
              .source(KafkaJsonSource.topic("clicks").keyedBy("user_id").eventTimeField("ts"))
              .feature(
                  Feature.named("n")
                      .aggregate(count())
                      .over(SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15))))
              .servedAtRequestTime(Duration.ofMinutes(1))
              .build());
  private static final TileTable TABLE = TileTable.of(PLAN);
  private static final long T0 = Instant.parse("2026-11-20T12:00:00Z").toEpochMilli();
  private static final long MINUTE = 60_000;
  private static final long V0 = T0 * 1000 + 123_457; // a stamp with microseconds
  private static final OfflineWriter.Progress QUIET =
      new OfflineWriter.Progress() {
        @Override
        public void beforeBatch() {}

        @Override
        public void halfWritten() {}
      };

  private static String url;

  @BeforeAll
  static void database() {
    url = TestPostgres.freshDatabase("offline_tiles");
  }

  private static Tile tile(String key, long start, long version) {
    return new Tile(key, start, version, new byte[] {1, (byte) version, (byte) 0xff, 0});
  }

  @Test
  void versions_and_marker_commit_once_and_read_back_in_bytewise_order() throws Exception {
    // "B" < "a" < "ä" bytewise, whatever the database's collation
    List<Tile> first =
        List.of(
            tile("a", T0, 1),
            tile("ä", T0, 1),
            tile("B", T0 + MINUTE, 2),
            tile("B", T0, 3),
            tile("a", T0, 2));
    long[] firstVisible = {V0, V0 + 1, -1, V0 + 2, V0 + 3};
    SinkCommits.Marker m1 = new SinkCommits.Marker("job", 0, 1, 9);
    SinkCommits.Marker m2 = new SinkCommits.Marker("job", 0, 2, 9);
    Instant afterFirst;
    try (OfflineTileWriter writer = new OfflineTileWriter(TABLE, url, 2, Duration.ofDays(7))) {
      assertThat(writer.hasMarker(m1)).isFalse();
      assertThat(writer.apply(first, firstVisible, m1, QUIET))
          .isEqualTo(OfflineWriter.Outcome.APPLIED);
      assertThat(writer.hasMarker(m1)).isTrue();
      assertThat(writer.apply(first, firstVisible, m1, QUIET))
          .isEqualTo(OfflineWriter.Outcome.ALREADY_COMMITTED);
      afterFirst = maxCommittedAt();
      // a second commit holds a version already stored (with another stamp: left as it was) and
      // a newer one
      assertThat(
              writer.apply(
                  List.of(tile("a", T0, 2), tile("a", T0, 5)),
                  new long[] {V0 + 50, V0 + 60},
                  m2,
                  QUIET))
          .isEqualTo(OfflineWriter.Outcome.APPLIED);
    }

    List<String> all = new ArrayList<>();
    List<String> newest = new ArrayList<>();
    List<String> ofA = new ArrayList<>();
    List<String> asOfFirst = new ArrayList<>();
    try (TrainingSession s = TrainingSession.open(url)) {
      assertThat(s.hasTable(TABLE)).isTrue();
      s.begin();
      TileHistory.versions(s, TABLE, null, null, v -> all.add(describe(v)));
      TileHistory.newestVersions(s, TABLE, null, null, v -> newest.add(describe(v)));
      TileHistory.versions(s, TABLE, null, List.of("a"), v -> ofA.add(describe(v)));
      TileHistory.versions(s, TABLE, afterFirst, null, v -> asOfFirst.add(describe(v)));
      assertThat(TileHistory.firstServedMicros(s, TABLE, null)).isEqualTo(OptionalLong.of(V0));
      assertThat(TileHistory.firstServedMicros(s, TABLE, Instant.EPOCH)).isEmpty();
      s.commit();
    }
    String b0 = "B@0 v3 visible " + (V0 + 2);
    String b1 = "B@1 v2 never";
    String a1 = "a@0 v1 visible " + V0;
    String a2 = "a@0 v2 visible " + (V0 + 3);
    String a5 = "a@0 v5 visible " + (V0 + 60);
    String u1 = "ä@0 v1 visible " + (V0 + 1);
    assertThat(all).containsExactly(b0, b1, a1, a2, a5, u1);
    assertThat(newest).containsExactly(b0, b1, a5, u1);
    assertThat(ofA).containsExactly(a1, a2, a5);
    assertThat(asOfFirst).containsExactly(b0, b1, a1, a2, u1);
    List<String> verified = new ArrayList<>();
    List<String> newestOfA = new ArrayList<>();
    try (OfflineSession session = OfflineSession.open(url, "freshet-test")) {
      assertThat(session.exists(TABLE)).isTrue();
      session.forEachTileVersion(TABLE, afterFirst, null, v -> verified.add(describe(v)));
      session.forEachNewestTile(TABLE, null, List.of("a"), v -> newestOfA.add(describe(v)));
    }
    assertThat(verified).isEqualTo(asOfFirst);
    assertThat(newestOfA).containsExactly(a5);
  }

  @Test
  void a_transaction_stopped_halfway_leaves_neither_versions_nor_marker() throws Exception {
    List<Tile> tiles = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      tiles.add(tile("h" + i, T0, 1));
    }
    long[] visible = new long[6];
    SinkCommits.Marker marker = new SinkCommits.Marker("job", 1, 3, 9);
    try (OfflineTileWriter writer = new OfflineTileWriter(TABLE, url, 2, Duration.ofDays(7))) {
      assertThatThrownBy(
              () ->
                  writer.apply(
                      tiles,
                      visible,
                      marker,
                      new OfflineWriter.Progress() {
                        @Override
                        public void beforeBatch() {}

                        @Override
                        public void halfWritten() throws java.io.IOException {
                          throw new java.io.IOException("stopped");
                        }
                      }))
          .hasMessage("stopped");
      assertThat(writer.hasMarker(marker)).isFalse();
      assertThat(stored("entity_key LIKE 'h%'")).isZero();
      assertThat(writer.apply(tiles, visible, marker, QUIET))
          .isEqualTo(OfflineWriter.Outcome.APPLIED);
      assertThat(stored("entity_key LIKE 'h%'")).isEqualTo(6);
    }
  }

  @Test
  void one_visibility_instant_per_tile_is_required() {
    try (OfflineTileWriter writer = new OfflineTileWriter(TABLE, url, 2, Duration.ofDays(7))) {
      assertThatThrownBy(
              () ->
                  writer.apply(
                      List.of(tile("x", T0, 1)),
                      new long[0],
                      new SinkCommits.Marker("job", 2, 1, 9),
                      QUIET))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("1 tiles but 0 visibility instants");
    }
  }

  @Test
  void a_tile_table_of_another_layout_is_refused_and_explained() throws Exception {
    ViewPlan other =
        ViewPlan.of(
            FeatureView.named("old_live")
                .source(KafkaJsonSource.topic("clicks").keyedBy("user_id").eventTimeField("ts"))
                .feature(
                    Feature.named("n")
                        .aggregate(count())
                        .over(SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15))))
                .servedAtRequestTime()
                .build());
    TileTable old = TileTable.of(other);
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS freshet");
      s.execute(
          "CREATE TABLE "
              + old.qualifiedName()
              + " (entity_key text, tile_start timestamptz, version bigint, payload bytea)");
    }
    try (OfflineTileWriter writer = new OfflineTileWriter(old, url, 2, Duration.ofDays(7))) {
      SQLException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              SQLException.class,
              () ->
                  writer.apply(
                      List.of(tile("x", T0, 1)),
                      new long[] {-1},
                      new SinkCommits.Marker("job", 3, 1, 9),
                      QUIET));
      assertThat(e.getSQLState()).isEqualTo("55000");
      assertThat(writer.explain(e))
          .contains("[visible_at, committed_at]")
          .contains("TileTable.createStatements()");
      assertThat(OfflineTileWriter.isTransient(e)).isFalse();
    }
  }

  @Test
  void a_window_end_view_has_no_tile_table() {
    ViewPlan windowEnd =
        ViewPlan.of(
            FeatureView.named("clicks")
                .source(KafkaJsonSource.topic("clicks").keyedBy("user_id").eventTimeField("ts"))
                .feature(
                    Feature.named("n")
                        .aggregate(count())
                        .over(SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15))))
                .build());
    assertThatThrownBy(() -> TileTable.of(windowEnd))
        .hasMessageContaining("'clicks' is served at window ends");
  }

  private static String describe(TileHistory.Version v) {
    Tile t = v.tile();
    assertThat(t.payload()).containsExactly(1, (byte) t.version(), (byte) 0xff, 0);
    return t.entityKey()
        + "@"
        + (t.start() - T0) / MINUTE
        + " v"
        + t.version()
        + (v.served() ? " visible " + v.visibleMicros() : " never");
  }

  private static Instant maxCommittedAt() throws SQLException {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT max(committed_at) FROM " + TABLE.qualifiedName())) {
      rs.next();
      return rs.getObject(1, OffsetDateTime.class).toInstant();
    }
  }

  private static long stored(String where) throws SQLException {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT count(*) FROM " + TABLE.qualifiedName() + " WHERE " + where)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
