package io.freshet.flink.sink.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.CommitFaults;
import io.freshet.flink.sink.CommitFaults.Point;
import io.freshet.flink.sink.CommitFaults.Store;
import io.freshet.flink.sink.CommitId;
import io.freshet.flink.sink.GeneratedRows;
import io.freshet.flink.sink.RecordingCommitRequest;
import io.freshet.flink.sink.RecordingCommitRequest.Signal;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.offline.OfflineTable;
import io.freshet.online.NewestWinsScript;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
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
 * The row sink serving online ({@link PostgresOfflineSink#servingOnline}) against real Redis and
 * Postgres: each entity's newest row lands online with a stamp and offline with {@code visible_at}
 * equal to that stamp; the committable's other rows are recorded as never served; a commit cut off
 * after the online write gets the same stamps back on replay; a row older than the one online is
 * never served; an identical row in a later checkpoint keeps the instant it was first served.
 */
class ServingRowCommitterTest {
  private static final int DB = 7;
  private static final long SLIDE = 15 * 60_000L;
  private static final String JOB = "00112233445566778899aabbccddeeff";
  private static final ViewPlan PLAN = GeneratedRows.PLAN;
  private static final Backoff QUICK =
      new Backoff(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(30));

  private static String pgUrl;

  /** Entity keys of this run, so that nothing another run left in the shared Redis is read. */
  private final String run = "served" + Long.toHexString(new Random().nextLong()) + "-";

  private final long writerId = new Random().nextLong();
  private final long t0 = Math.floorDiv(System.currentTimeMillis(), SLIDE) * SLIDE;
  private final List<Committer<RowCommittable>> committers = new ArrayList<>();

  @BeforeAll
  static void database() {
    pgUrl = TestPostgres.freshDatabase("serving_rows");
  }

  @BeforeEach
  @AfterEach
  void noHook() throws Exception {
    CommitFaults.uninstall();
    for (Committer<RowCommittable> c : committers) {
      c.close();
    }
    committers.clear();
  }

  @Test
  void the_newest_row_per_entity_is_served_and_offline_records_its_online_stamp() throws Exception {
    RowCommittable c1 =
        committable(
            1,
            row("a", t0 - SLIDE, 1),
            row("a", t0, 2),
            row("b", t0, 3),
            row("a", t0 - 2 * SLIDE, 4));
    assertThat(RecordingCommitRequest.commit(committer(), c1)).isEqualTo(Signal.COMMITTED);
    Map<String, Long> offline = offline();
    assertThat(offline)
        .containsOnlyKeys(
            key("a", t0 - 2 * SLIDE), key("a", t0 - SLIDE), key("a", t0), key("b", t0));
    assertThat(offline.get(key("a", t0))).isEqualTo(onlineStamp("a", t0)).isPositive();
    assertThat(offline.get(key("b", t0))).isEqualTo(onlineStamp("b", t0)).isPositive();
    assertThat(offline.get(key("a", t0)))
        .as("one script call per batch: a and b share the stamp")
        .isEqualTo(offline.get(key("b", t0)));
    assertThat(offline.get(key("a", t0 - SLIDE))).as("never online").isEqualTo(-1);
    assertThat(offline.get(key("a", t0 - 2 * SLIDE))).as("never online").isEqualTo(-1);

    assertThat(RecordingCommitRequest.commit(committer(), c1))
        .as("replayed by a new committer, as after a restart")
        .isEqualTo(Signal.ALREADY_COMMITTED);
    assertThat(offline()).isEqualTo(offline);
  }

  @Test
  void a_commit_cut_off_after_the_online_write_gets_the_same_stamps_on_replay() throws Exception {
    RecordingCommitRequest.commit(committer(), committable(1, row("c", t0 - SLIDE, 1)));
    long first = offline().get(key("c", t0 - SLIDE));
    RowCommittable c2 = committable(2, row("c", t0, 2), row("d", t0, 3));
    failOnceAt(Point.MID_APPLY);
    assertThatThrownBy(() -> RecordingCommitRequest.commit(committer(), c2))
        .isInstanceOf(IOException.class)
        .hasStackTraceContaining("injected at MID_APPLY");
    long servedC = onlineStamp("c", t0);
    long servedD = onlineStamp("d", t0);
    assertThat(servedC).as("online has c@t0").isGreaterThan(first);
    assertThat(offline()).as("offline has only the first commit").hasSize(1);

    assertThat(RecordingCommitRequest.commit(committer(), c2)).isEqualTo(Signal.COMMITTED);
    Map<String, Long> offline = offline();
    assertThat(offline.get(key("c", t0))).isEqualTo(servedC);
    assertThat(offline.get(key("d", t0))).isEqualTo(servedD);
    assertThat(offline.get(key("c", t0 - SLIDE))).isEqualTo(first);
    assertThat(onlineStamp("c", t0)).as("the replay stored nothing anew").isEqualTo(servedC);
  }

  @Test
  void a_row_older_than_the_one_online_is_never_served() throws Exception {
    RecordingCommitRequest.commit(committer(), committable(1, row("e", t0, 1)));
    RecordingCommitRequest.commit(committer(), committable(2, row("e", t0 - SLIDE, 2)));
    Map<String, Long> offline = offline();
    assertThat(offline.get(key("e", t0 - SLIDE))).isEqualTo(-1);
    assertThat(offline.get(key("e", t0))).isEqualTo(onlineStamp("e", t0)).isPositive();
  }

  @Test
  void an_identical_row_keeps_its_first_stamp_and_a_changed_one_gets_a_later_stamp()
      throws Exception {
    RecordingCommitRequest.commit(committer(), committable(1, row("f", t0, 1)));
    long first = onlineStamp("f", t0);
    RecordingCommitRequest.commit(committer(), committable(2, row("f", t0, 1)));
    assertThat(onlineStamp("f", t0)).isEqualTo(first);
    assertThat(offline().get(key("f", t0))).isEqualTo(first);
    RecordingCommitRequest.commit(committer(), committable(3, row("f", t0, 5)));
    long second = onlineStamp("f", t0);
    assertThat(second).isGreaterThan(first);
    assertThat(offline().get(key("f", t0))).as("the current version").isEqualTo(second);
  }

  // ------------------------------------------------------------------------------------------

  private Committer<RowCommittable> committer() throws IOException {
    Committer<RowCommittable> c =
        PostgresOfflineSink.exactlyOnce(PLAN, pgUrl)
            .withRowsPerStatement(1)
            .withRetries(QUICK)
            .servingOnline(TestRedis.uri(DB))
            .withRowsPerScript(2)
            .createCommitter(null);
    committers.add(c);
    return c;
  }

  private FeatureRow row(String entity, long featureTs, long seq) {
    return new FeatureRow(run + entity, featureTs, new Object[] {seq, 1.5, "web", List.of("p")});
  }

  private String key(String entity, long featureTs) {
    return run + entity + "@" + featureTs;
  }

  private RowCommittable committable(long checkpoint, FeatureRow... rows) {
    return new RowCommittable(
            RowCommittable.viewOf(PLAN),
            new CommitId(JOB, 0, CommitId.UNSTAMPED, writerId),
            List.of(rows))
        .withCheckpoint(checkpoint);
  }

  private static void failOnceAt(Point point) {
    AtomicInteger fired = new AtomicInteger();
    CommitFaults.install(
        (store, p, committable) -> {
          assertThat(store).isEqualTo(Store.OFFLINE);
          if (p == point && fired.getAndIncrement() == 0) {
            throw new IOException("injected at " + point);
          }
        });
  }

  /** This run's current offline versions: entity@feature_ts to visible_at in µs, -1 for null. */
  private Map<String, Long> offline() throws Exception {
    Map<String, Long> out = new HashMap<>();
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT entity_key, (extract(epoch from feature_ts) * 1000)::bigint,"
                    + " coalesce((extract(epoch from visible_at) * 1000000)::bigint, -1)"
                    + " FROM "
                    + OfflineTable.of(PLAN).qualifiedName()
                    + " WHERE superseded_at IS NULL")) {
      while (rs.next()) {
        if (rs.getString(1).startsWith(run)) {
          out.put(rs.getString(1) + "@" + rs.getLong(2), rs.getLong(3));
        }
      }
    } catch (org.postgresql.util.PSQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return out;
      }
      throw e;
    }
    return out;
  }

  /** The stamp stored online with the entity's row, which must have this feature_ts. */
  private long onlineStamp(String entity, long featureTs) {
    RedisClient client = RedisClient.create(TestRedis.uri(DB));
    try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE)) {
      byte[] stored = c.sync().get(OnlineKeys.keyBytes(PLAN, run + entity));
      assertThat(stored).as(entity + " online").isNotNull();
      assertThat(OnlineCodec.featureTs(stored)).isEqualTo(featureTs);
      return ByteBuffer.wrap(stored, stored.length - NewestWinsScript.STAMP_BYTES, 8).getLong();
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }
}
