package io.freshet.flink.sink.tiles;

import static io.freshet.dsl.Aggregation.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.CommitFaults;
import io.freshet.flink.sink.CommitFaults.Point;
import io.freshet.flink.sink.CommitFaults.Store;
import io.freshet.flink.sink.CommitId;
import io.freshet.flink.sink.RecordingCommitRequest;
import io.freshet.flink.sink.RecordingCommitRequest.Signal;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.offline.TileTable;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineReader;
import io.freshet.online.StoredTile;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.Tile;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.connector.sink2.Committer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tile committer against real Redis and Postgres: versions land online and offline with the
 * same visibility instants; a committable cut off anywhere and replayed gets the same instants back
 * and stores no version twice; a version older than the one online is recorded as never served.
 */
class TileCommitterTest {
  private static final int DB = 7;
  private static final long MINUTE = 60_000L;
  private static final String JOB = "00112233445566778899aabbccddeeff";
  private static final Backoff QUICK =
      new Backoff(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(30));
  private static final ViewPlan PLAN =
      ViewPlan.of(
          FeatureView.named("tile_sink_test")
              .source(KafkaJsonSource.topic("tile-sink-test").keyedBy("user_id"))
              .feature(
                  Feature.named("events_1h")
                      .aggregate(count())
                      .over(SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15))))
              .ttl(Duration.ofDays(1))
              .servedAtRequestTime(Duration.ofMinutes(5))
              .build());

  private static String pgUrl;

  /** Entity keys of this run, so that nothing another run left in the shared Redis is read. */
  private final String run = "run" + Long.toHexString(new Random().nextLong()) + "-";

  private final long writerId = new Random().nextLong();
  private final long t0 = Math.floorDiv(System.currentTimeMillis(), 5 * MINUTE) * 5 * MINUTE;
  private final List<Committer<TileCommittable>> committers = new ArrayList<>();

  @BeforeAll
  static void database() {
    pgUrl = TestPostgres.freshDatabase("flink_tiles");
  }

  @BeforeEach
  @AfterEach
  void noHook() throws Exception {
    CommitFaults.uninstall();
    for (Committer<TileCommittable> c : committers) {
      c.close();
    }
    committers.clear();
  }

  @Test
  void versions_land_in_both_stores_with_the_same_instants_and_a_replay_changes_nothing()
      throws Exception {
    TileCommittable c1 =
        committable(
            1,
            List.of(
                tile("a", t0 - 5 * MINUTE, 2),
                tile("a", t0, 1),
                tile("b", t0, 3),
                tile("a", t0, 4))); // the writer keeps v4 of a@t0
    assertThat(c1.tiles()).hasSize(3);
    assertThat(RecordingCommitRequest.commit(committer(), c1)).isEqualTo(Signal.COMMITTED);
    Map<String, Long> offline = offline();
    assertThat(offline)
        .containsOnlyKeys(key("a", t0 - 5 * MINUTE, 2), key("a", t0, 4), key("b", t0, 3));
    assertSameInstantsOnline(offline);

    assertThat(RecordingCommitRequest.commit(committer(), c1))
        .as("replayed by a new committer, as after a restart")
        .isEqualTo(Signal.ALREADY_COMMITTED);
    assertThat(offline()).isEqualTo(offline);
  }

  @Test
  void a_commit_cut_off_after_the_online_write_gets_the_same_instants_on_replay() throws Exception {
    RecordingCommitRequest.commit(committer(), committable(1, List.of(tile("a", t0, 1))));
    TileCommittable c2 = committable(2, List.of(tile("a", t0, 5), tile("c", t0 - 5 * MINUTE, 1)));
    failOnceAt(Point.MID_APPLY);
    assertThatThrownBy(() -> RecordingCommitRequest.commit(committer(), c2))
        .isInstanceOf(IOException.class)
        .hasStackTraceContaining("injected at MID_APPLY");
    Map<String, StoredTile> onlineBefore = online("a");
    assertThat(onlineBefore.get(String.valueOf(t0)).version()).as("online has v5").isEqualTo(5);
    assertThat(offline()).as("offline has only the first commit").hasSize(1);

    assertThat(RecordingCommitRequest.commit(committer(), c2)).isEqualTo(Signal.COMMITTED);
    Map<String, Long> offline = offline();
    assertThat(offline)
        .containsOnlyKeys(key("a", t0, 1), key("a", t0, 5), key("c", t0 - 5 * MINUTE, 1));
    assertThat(offline.get(key("a", t0, 5)))
        .as("the instant the online store first served v5")
        .isEqualTo(onlineBefore.get(String.valueOf(t0)).visibleMicros());
    assertThat(offline.get(key("a", t0, 1)))
        .as("v1 was served before v5")
        .isLessThan(offline.get(key("a", t0, 5)));
    assertSameInstantsOnline(Map.of(key("a", t0, 5), offline.get(key("a", t0, 5))));
  }

  @Test
  void a_commit_failing_before_or_after_applying_is_completed_or_recognised_on_replay()
      throws Exception {
    TileCommittable c = committable(3, List.of(tile("d", t0, 2), tile("e", t0, 1)));
    failOnceAt(Point.BEFORE_APPLY);
    assertThatThrownBy(() -> RecordingCommitRequest.commit(committer(), c))
        .hasStackTraceContaining("injected at BEFORE_APPLY");
    assertThat(offline()).isEmpty();
    failOnceAt(Point.AFTER_APPLY);
    assertThatThrownBy(() -> RecordingCommitRequest.commit(committer(), c))
        .hasStackTraceContaining("injected at AFTER_APPLY");
    Map<String, Long> offline = offline();
    assertThat(offline).containsOnlyKeys(key("d", t0, 2), key("e", t0, 1));
    assertThat(RecordingCommitRequest.commit(committer(), c)).isEqualTo(Signal.ALREADY_COMMITTED);
    assertThat(offline()).isEqualTo(offline);
    assertSameInstantsOnline(offline);
  }

  @Test
  void a_version_older_than_the_one_online_is_never_served() throws Exception {
    RecordingCommitRequest.commit(committer(), committable(1, List.of(tile("f", t0, 7))));
    RecordingCommitRequest.commit(committer(), committable(2, List.of(tile("f", t0, 6))));
    Map<String, Long> offline = offline();
    assertThat(offline).containsOnlyKeys(key("f", t0, 7), key("f", t0, 6));
    assertThat(offline.get(key("f", t0, 6))).as("visible_at of v6").isEqualTo(-1);
    assertThat(online("f").get(String.valueOf(t0)).version()).isEqualTo(7);
  }

  @Test
  void history_only_writes_offline_with_no_instant() throws Exception {
    Committer<TileCommittable> history = TileSink.historyOnly(PLAN, pgUrl).createCommitter(null);
    committers.add(history);
    TileCommittable c = committable(1, List.of(tile("g", t0, 3)));
    assertThat(RecordingCommitRequest.commit(history, c)).isEqualTo(Signal.COMMITTED);
    assertThat(offline()).containsOnlyKeys(key("g", t0, 3));
    assertThat(offline().get(key("g", t0, 3))).isEqualTo(-1);
    assertThat(online("g")).as("nothing online").isEmpty();
  }

  @Test
  void the_serializer_reads_back_what_it_wrote() throws Exception {
    TileCommittable c =
        committable(9, List.of(tile("h", t0, 1), new Tile("ü,\"x", -5 * MINUTE, 300, new byte[0])));
    TileCommittableSerializer s = new TileCommittableSerializer();
    TileCommittable back = s.deserialize(s.getVersion(), s.serialize(c));
    assertThat(back).isEqualTo(c);
    byte[] bytes = s.serialize(c);
    assertThatThrownBy(
            () -> s.deserialize(s.getVersion(), java.util.Arrays.copyOf(bytes, bytes.length - 1)))
        .isInstanceOf(IOException.class);
  }

  // ------------------------------------------------------------------------------------------

  private Committer<TileCommittable> committer() throws IOException {
    Committer<TileCommittable> c =
        TileSink.exactlyOnce(PLAN, TestRedis.uri(DB), pgUrl)
            .withBatches(2, 2)
            .withRetries(QUICK)
            .createCommitter(null);
    committers.add(c);
    return c;
  }

  private String entity(String name) {
    return run + name;
  }

  private Tile tile(String entity, long start, long version) {
    return new Tile(entity(entity), start, version, new byte[] {1, 0, (byte) version});
  }

  private String key(String entity, long start, long version) {
    return entity(entity) + "@" + start + " v" + version;
  }

  /** The committable a writer prepares from these tiles for a checkpoint. */
  private TileCommittable committable(long checkpoint, List<Tile> tiles) {
    CheckpointTileWriter writer =
        new CheckpointTileWriter(
            RowCommittable.viewOf(PLAN), new CommitId(JOB, 0, CommitId.UNSTAMPED, writerId));
    for (Tile t : tiles) {
      writer.write(t, null);
    }
    return writer.prepareCommit().iterator().next().withCheckpoint(checkpoint);
  }

  private static void failOnceAt(Point point) {
    AtomicInteger fired = new AtomicInteger();
    CommitFaults.install(
        (store, p, committable) -> {
          assertThat(store).isEqualTo(Store.TILES);
          if (p == point && fired.getAndIncrement() == 0) {
            throw new IOException("injected at " + point);
          }
        });
  }

  /** This run's versions in the tile table: key to visible_at in µs, -1 for none. */
  private Map<String, Long> offline() throws Exception {
    Map<String, Long> out = new HashMap<>();
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT entity_key, (extract(epoch from tile_start) * 1000)::bigint, version,"
                    + " coalesce((extract(epoch from visible_at) * 1000000)::bigint, -1)"
                    + " FROM "
                    + TileTable.of(PLAN).qualifiedName())) {
      while (rs.next()) {
        if (!rs.getString(1).startsWith(run)) {
          continue;
        }
        Long previous =
            out.put(rs.getString(1) + "@" + rs.getLong(2) + " v" + rs.getLong(3), rs.getLong(4));
        assertThat(previous).as("a version stored twice").isNull();
      }
    } catch (org.postgresql.util.PSQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return out;
      }
      throw e;
    }
    return out;
  }

  /** This entity's tiles online, by start. */
  private Map<String, StoredTile> online(String entity) {
    try (OnlineReader reader =
        OnlineReader.connect(TestRedis.uri(DB), OnlineClients.Settings.forTool())) {
      reader.requireConnected(Duration.ofSeconds(10));
      Map<String, StoredTile> out = new HashMap<>();
      for (StoredTile t : reader.awaitTiles(PLAN, entity(entity)).tiles()) {
        out.put(String.valueOf(t.start()), t);
      }
      return out;
    }
  }

  /** Every offline version that is the newest of its tile has its online instant. */
  private void assertSameInstantsOnline(Map<String, Long> offline) {
    for (var e : offline.entrySet()) {
      String k = e.getKey();
      String entity = k.substring(run.length(), k.indexOf('@'));
      long start = Long.parseLong(k.substring(k.indexOf('@') + 1, k.indexOf(' ')));
      long version = Long.parseLong(k.substring(k.indexOf(" v") + 2));
      StoredTile online = online(entity).get(String.valueOf(start));
      assertThat(online).as(k + " online").isNotNull();
      if (online.version() == version) {
        assertThat(online.visibleMicros()).as(k + " visible since").isEqualTo(e.getValue());
        assertThat(e.getValue()).as(k + " served").isPositive();
      }
    }
  }
}
