package io.freshet.flink.sink;

import static io.freshet.dsl.Aggregation.count;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.flink.sink.PacedRowsJob.Fault;
import io.freshet.flink.sink.tiles.TileCommittable;
import io.freshet.flink.sink.tiles.TileSink;
import io.freshet.offline.OfflineTables;
import io.freshet.offline.PostgresSessions;
import io.freshet.offline.TileTable;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.Tile;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once for the tiles of a request-time view: generated tile versions through {@link
 * TileSink} to real Redis and Postgres while failures are injected at every point of a tile commit
 * (before applying it, between the online and the offline write, inside the offline transaction,
 * after applying it, while a replay is recognised as already committed) and of the stream (between
 * events, at the barrier, right after a checkpoint), each followed by a restore from the last
 * completed checkpoint and a replay.
 *
 * <p>The oracle is built beside the sink, not from it: a pass-through step right in front of the
 * sink records, per checkpoint, the newest version of every tile it saw, and counts it committed
 * once that checkpoint (or a later one) completes or is restored, and dropped when a restore goes
 * back before it; the online store's answer to each commit is read straight from Redis right after
 * the online write. In the end:
 *
 * <ul>
 *   <li>the tile history holds exactly the committed versions, each once, none missing;
 *   <li>each version's {@code visible_at} is the stamp Redis held for it right after its online
 *       write (the same on every replay), NULL where Redis kept a newer version or pruned it at
 *       once;
 *   <li>the online hash of every entity holds the newest committed version of every tile no read
 *       can prune, with the stamp of the tile history.
 * </ul>
 */
class TileExactlyOnceFailureInjectionTest {
  static final long EVENTS = 300_000;
  static final int ENTITIES = 400;
  static final int EVENTS_PER_SECOND = 20_000;
  static final int FAULTS_PER_KIND = 3;
  static final Duration CHECKPOINT_INTERVAL = Duration.ofMillis(300);
  static final int REDIS_DB = 7;
  static final long MIN = 60_000L;

  /** Recent tiles move from 30 minutes before the start of the test up to it. */
  static final int RECENT_TILES = 30;

  static final List<Fault> FAULTS =
      List.of(
          Fault.BETWEEN_ROWS,
          Fault.AT_BARRIER,
          Fault.AFTER_CHECKPOINT,
          Fault.TILES_BEFORE_APPLY,
          Fault.TILES_MID_APPLY,
          Fault.TILES_IN_OFFLINE_WRITE,
          Fault.TILES_AFTER_APPLY,
          Fault.TILES_ALREADY_COMMITTED);

  static final ViewPlan PLAN =
      ViewPlan.of(
          FeatureView.named("tiles_exactly_once")
              .source(KafkaJsonSource.topic("tiles-exactly-once").keyedBy("user_id"))
              .feature(
                  Feature.named("events_1h")
                      .aggregate(count())
                      .over(SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15))))
              .ttl(Duration.ofDays(1))
              .servedAtRequestTime(Duration.ofMinutes(1))
              .build());

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  @TempDir static Path checkpoints;

  private static String jdbcUrl;
  private static RedisClient redis;

  /** Entity keys of this run start with it, so nothing another run left in Redis is read. */
  static final String RUN = "eo" + Long.toHexString(new Random().nextLong() >>> 1) + "-";

  @BeforeAll
  static void stores() throws Exception {
    jdbcUrl = TestPostgres.freshDatabase("tiles_exactly_once");
    redis = RedisClient.create(TestRedis.uri(REDIS_DB));
    String table = TileTable.of(PLAN).qualifiedName();
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        Statement st = c.createStatement()) {
      OfflineTables.ensure(
          c, TileTable.of(PLAN), PostgresSessions.dataSource(jdbcUrl, "tiles-exactly-once-test"));
      // A failure inside the offline write: the insert of the row numbered at_row raises. Sequence
      // numbers survive the rollback, so an armed failure fires once.
      st.execute("CREATE SEQUENCE freshet.injected_rows");
      st.execute("CREATE TABLE freshet.injected_failures (at_row bigint PRIMARY KEY)");
      st.execute(
          """
          CREATE FUNCTION freshet.injected_failure() RETURNS trigger LANGUAGE plpgsql AS $$
          DECLARE n bigint := nextval('freshet.injected_rows');
          BEGIN
            IF EXISTS (SELECT 1 FROM freshet.injected_failures WHERE at_row = n) THEN
              RAISE EXCEPTION 'injected failure inside the offline tile write at row %', n;
            END IF;
            RETURN NEW;
          END $$""");
      st.execute(
          "CREATE TRIGGER injected_failure BEFORE INSERT ON "
              + table
              + " FOR EACH ROW EXECUTE FUNCTION freshet.injected_failure()");
    }
  }

  @AfterAll
  static void dropStores() throws Exception {
    CommitFaults.uninstall();
    try (StatefulRedisConnection<String, String> c = redis.connect()) {
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        KeyScanCursor<String> page =
            c.sync().scan(cursor, ScanArgs.Builder.matches("{" + RUN + "*").limit(1000));
        if (!page.getKeys().isEmpty()) {
          c.sync().del(page.getKeys().toArray(new String[0]));
        }
        cursor = page;
      } while (!cursor.isFinished());
    } finally {
      redis.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
    String db = URI.create(jdbcUrl.substring(5)).getPath().substring(1);
    StoreContents.execute(
        TestPostgres.adminUrl(), "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  }

  @Test
  void tile_history_and_online_tiles_equal_the_oracle_after_failures_at_every_commit_point()
      throws Exception {
    long base = Math.floorDiv(System.currentTimeMillis(), MIN) * MIN;
    PacedRowsJob.planFaults(FAULTS, FAULTS_PER_KIND, EVENTS / 20, EVENTS * 3 / 4, 20261203L);
    Oracle.reset();
    Map<VersionKey, Long> servedFrom = new ConcurrentHashMap<>();
    List<String> inconsistent = new CopyOnWriteArrayList<>();
    try (StatefulRedisConnection<byte[], byte[]> watcher = redis.connect(ByteArrayCodec.INSTANCE);
        Connection arming = DriverManager.getConnection(jdbcUrl)) {
      PacedRowsJob.observer =
          (store, point, committable) -> {
            if (store != CommitFaults.Store.TILES) {
              return;
            }
            TileCommittable c = (TileCommittable) committable;
            if (point == CommitFaults.Point.BEFORE_APPLY
                && PacedRowsJob.fire(Fault.TILES_IN_OFFLINE_WRITE, PacedRowsJob.highWater.get())) {
              arm(arming, Math.max(1, c.tiles().size() / 2));
            }
            if (point == CommitFaults.Point.MID_APPLY) {
              observeOnline(watcher, c, servedFrom, inconsistent);
            }
          };

      StreamExecutionEnvironment env = PacedRowsJob.environment(CHECKPOINT_INTERVAL, checkpoints);
      PacedRowsJob.pacedNumbers(env, EVENTS, EVENTS_PER_SECOND)
          .keyBy(TileExactlyOnceFailureInjectionTest::entityOf, Types.STRING)
          .process(new TileVersions(base), TypeInformation.of(Tile.class))
          .uid("tile-versions")
          .name("tile versions")
          .map(new Oracle(), TypeInformation.of(Tile.class))
          .uid("oracle")
          .name("oracle")
          .sinkTo(
              TileSink.exactlyOnce(PLAN, TestRedis.uri(REDIS_DB), jdbcUrl)
                  .withBatches(50, 500)
                  .withRetries(
                      new Backoff(
                          Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(30))))
          .uid("tile-sink")
          .name("tiles");
      Duration took = PacedRowsJob.execute(env, "paced tiles", Duration.ofMinutes(5));
      PacedRowsJob.observer = (store, point, committable) -> {};
      Oracle.jobFinished();

      assertThat(inconsistent).as("replays answered another stamp").isEmpty();
      Map<VersionKey, Long> committed = Oracle.committed();
      Map<VersionKey, Long> offline = offlineVersions();
      Set<VersionKey> missing = new HashSet<>(committed.keySet());
      missing.removeAll(offline.keySet());
      Set<VersionKey> extra = new HashSet<>(offline.keySet());
      extra.removeAll(committed.keySet());
      assertThat(missing).as("committed versions missing in the tile history").isEmpty();
      assertThat(extra).as("versions in the tile history never committed").isEmpty();
      assertThat(offline).as("versions in the tile history").hasSize(committed.size());

      long neverServed = 0;
      for (var e : offline.entrySet()) {
        Long seen = servedFrom.get(e.getKey());
        assertThat(seen).as("online answer to %s", e.getKey()).isNotNull();
        assertThat(e.getValue()).as("visible_at of %s (-1: NULL)", e.getKey()).isEqualTo(seen);
        if (seen < 0) {
          neverServed++;
        }
      }

      Map<String, Map<Long, long[]>> online = onlineTiles(watcher);
      Map<String, Map<Long, Long>> want = expectedOnline(committed, base);
      assertThat(online.keySet()).as("entities online").isEqualTo(want.keySet());
      long onlineTiles = 0;
      for (var entity : want.entrySet()) {
        Map<Long, long[]> got = online.get(entity.getKey());
        assertThat(got.keySet())
            .as("tiles of %s online", entity.getKey())
            .isEqualTo(entity.getValue().keySet());
        for (var tile : entity.getValue().entrySet()) {
          long[] stored = got.get(tile.getKey());
          VersionKey k = new VersionKey(entity.getKey(), tile.getKey(), tile.getValue());
          assertThat(stored[0]).as("online version of %s", k).isEqualTo(tile.getValue());
          assertThat(stored[1])
              .as("online stamp of %s = its visible_at", k)
              .isEqualTo(offline.get(k))
              .isPositive();
          onlineTiles++;
        }
      }

      Map<Fault, Integer> fired = new EnumMap<>(Fault.class);
      PacedRowsJob.fired.forEach((f, n) -> fired.put(f, n.get()));
      System.out.printf(
          "tiles exactly once under failure: %,d events generated, %,d passed the source"
              + " (replays included) in %d s; %d checkpoints completed, %d restarts; faults fired"
              + " %d of %d: %s; commits applied %s, replays skipped %s; tile history: %,d"
              + " versions, %,d never served; online: %,d tiles of %,d entities%n",
          EVENTS,
          PacedRowsJob.rowsEmitted.get(),
          took.toSeconds(),
          PacedRowsJob.checkpointsCompleted.get(),
          PacedRowsJob.maxAttempt.get(),
          PacedRowsJob.faultsFired(),
          PacedRowsJob.faultsPlanned(),
          fired,
          PacedRowsJob.commitsApplied,
          PacedRowsJob.replaysSkipped,
          offline.size(),
          neverServed,
          onlineTiles,
          online.size());

      assertThat(PacedRowsJob.faultsFired())
          .as("faults fired")
          .isEqualTo(PacedRowsJob.faultsPlanned());
      assertThat(fired).as("faults fired per kind").containsOnlyKeys(FAULTS);
      assertThat(neverServed).as("versions never served").isPositive();
      assertThat(offline.size() - neverServed)
          .as("served versions no longer online")
          .isGreaterThan(onlineTiles);
      assertThat(
              StoreContents.queryLong(
                  jdbcUrl,
                  "SELECT count(*) FROM freshet.injected_failures, freshet.injected_rows"
                      + " WHERE at_row <= last_value"))
          .as("failures inside the offline write that fired")
          .isEqualTo(FAULTS_PER_KIND);
    }
  }

  // ------------------------------------------------------------------ the generated tiles

  static String entityOf(long i) {
    return RUN + "e" + (i % ENTITIES);
  }

  /**
   * The tile of event i: recent tiles move forward through the stream; one round in seven of every
   * entity goes to one of five tiles three hours old, which no read can select any more, so the
   * online store prunes them.
   */
  static long tileOf(long i, long base) {
    long round = i / ENTITIES;
    if (round % 7 == 3) {
      return base - 180 * MIN - (round / 7 % 5) * MIN;
    }
    return base - (RECENT_TILES - i * RECENT_TILES / EVENTS) * MIN;
  }

  static byte[] payload(String entity, long start, long version) {
    return (entity + "@" + start + "#" + version).getBytes(StandardCharsets.UTF_8);
  }

  /** Counts events per (entity, tile) in keyed state and emits the tile's new version. */
  static final class TileVersions extends KeyedProcessFunction<String, Long, Tile> {
    private static final long serialVersionUID = 1L;
    private final long base;
    private transient MapState<Long, Long> counts;

    TileVersions(long base) {
      this.base = base;
    }

    @Override
    public void open(OpenContext context) {
      counts =
          getRuntimeContext()
              .getMapState(new MapStateDescriptor<>("counts", Types.LONG, Types.LONG));
    }

    @Override
    public void processElement(Long i, Context ctx, Collector<Tile> out) throws Exception {
      String entity = ctx.getCurrentKey();
      long start = tileOf(i, base);
      Long n = counts.get(start);
      long version = n == null ? 1 : n + 1;
      counts.put(start, version);
      out.collect(new Tile(entity, start, version, payload(entity, start, version)));
    }
  }

  record VersionKey(String entity, long start, long version) {}

  private record TileKey(String entity, long start) {}

  /**
   * Passes tiles on and records, per checkpoint, the newest version of each tile seen since the
   * previous one: what the sink's writer hands over at that barrier. A checkpoint's versions count
   * as committed once it or a later checkpoint completes, or the job is restored from it or a later
   * one; a restore drops those of checkpoints after the one restored. State is static: the
   * MiniCluster runs in this JVM.
   */
  static final class Oracle extends RichMapFunction<Tile, Tile>
      implements CheckpointedFunction, CheckpointListener {
    private static final long serialVersionUID = 1L;
    private static final TreeMap<Long, Map<TileKey, Long>> pending = new TreeMap<>();
    private static final Map<VersionKey, Long> committed = new HashMap<>();
    private transient Map<TileKey, Long> since;

    static synchronized void reset() {
      pending.clear();
      committed.clear();
    }

    static synchronized Map<VersionKey, Long> committed() {
      return Map.copyOf(committed);
    }

    /** The job finished: its final checkpoint completed and everything before it committed. */
    static synchronized void jobFinished() {
      commitUpTo(Long.MAX_VALUE);
    }

    private static void commitUpTo(long checkpoint) {
      var done = pending.headMap(checkpoint, true);
      for (Map<TileKey, Long> tiles : done.values()) {
        tiles.forEach((t, v) -> committed.put(new VersionKey(t.entity(), t.start(), v), v));
      }
      done.clear();
    }

    @Override
    public Tile map(Tile t) {
      since.merge(new TileKey(t.entityKey(), t.start()), t.version(), Math::max);
      return t;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {
      synchronized (Oracle.class) {
        Map<TileKey, Long> tiles =
            pending.computeIfAbsent(context.getCheckpointId(), id -> new HashMap<>());
        since.forEach((k, v) -> tiles.merge(k, v, Math::max));
      }
      since = new HashMap<>();
    }

    @Override
    public void initializeState(FunctionInitializationContext context) {
      since = new HashMap<>();
      synchronized (Oracle.class) {
        if (context.isRestored()) {
          long restored = context.getRestoredCheckpointId().getAsLong();
          commitUpTo(restored);
          pending.tailMap(restored, false).clear();
        } else {
          pending.clear();
        }
      }
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      synchronized (Oracle.class) {
        commitUpTo(checkpointId);
      }
    }
  }

  // ------------------------------------------------------------------ reading the stores

  /** Makes the insert of the n-th next row into the tile table fail. */
  private static void arm(Connection c, int n) throws java.io.IOException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "INSERT INTO freshet.injected_failures SELECT last_value + "
              + n
              + " - (CASE WHEN is_called THEN 0 ELSE 1 END) FROM freshet.injected_rows");
    } catch (java.sql.SQLException e) {
      throw new java.io.IOException("could not arm a failure inside the offline write", e);
    }
  }

  /**
   * Right after the online write of a commit: what Redis holds for each of its versions, the stamp
   * or -1 if it holds another version or none (pruned at once). A replay must find the same.
   */
  private static void observeOnline(
      StatefulRedisConnection<byte[], byte[]> c,
      TileCommittable committable,
      Map<VersionKey, Long> servedFrom,
      List<String> inconsistent) {
    List<RedisFuture<byte[]>> reads = new ArrayList<>();
    for (Tile t : committable.tiles()) {
      reads.add(
          c.async()
              .hget(
                  OnlineKeys.keyBytes(PLAN, t.entityKey()),
                  Long.toString(t.start()).getBytes(StandardCharsets.US_ASCII)));
    }
    for (int i = 0; i < reads.size(); i++) {
      Tile t = committable.tiles().get(i);
      byte[] value;
      try {
        value = reads.get(i).get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("reading the online tile of " + t, e);
      }
      long[] stored = value == null ? null : parse(value);
      long stamp = stored != null && stored[0] == t.version() ? stored[1] : -1;
      VersionKey k = new VersionKey(t.entityKey(), t.start(), t.version());
      Long before = servedFrom.putIfAbsent(k, stamp);
      if (before != null && before != stamp) {
        inconsistent.add(k + ": " + before + " first, then " + stamp);
      }
      if (value != null && stamp > 0) {
        byte[] want = payload(t.entityKey(), t.start(), t.version());
        String got = new String(value, StandardCharsets.ISO_8859_1);
        if (!got.endsWith(new String(want, StandardCharsets.ISO_8859_1))) {
          inconsistent.add(k + ": payload " + got);
        }
      }
    }
  }

  /** {@code <version>:<stamp>:<payload>} to {version, stamp}. */
  private static long[] parse(byte[] value) {
    String s = new String(value, StandardCharsets.ISO_8859_1);
    int c1 = s.indexOf(':');
    int c2 = s.indexOf(':', c1 + 1);
    return new long[] {Long.parseLong(s.substring(0, c1)), Long.parseLong(s.substring(c1 + 1, c2))};
  }

  /** Every version in the tile history: visible_at in µs, -1 for NULL. Fails on a duplicate. */
  private static Map<VersionKey, Long> offlineVersions() throws Exception {
    Map<VersionKey, Long> out = new HashMap<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT entity_key, (extract(epoch from tile_start) * 1000)::bigint, version,"
                    + " coalesce((extract(epoch from visible_at) * 1000000)::bigint, -1), payload"
                    + " FROM "
                    + TileTable.of(PLAN).qualifiedName())) {
      while (rs.next()) {
        VersionKey k = new VersionKey(rs.getString(1), rs.getLong(2), rs.getLong(3));
        assertThat(rs.getBytes(5))
            .as("payload of %s", k)
            .isEqualTo(payload(k.entity(), k.start(), k.version()));
        assertThat(out.put(k, rs.getLong(4))).as("%s stored twice", k).isNull();
      }
    }
    return out;
  }

  /** This run's online hashes: entity to tile start to {version, stamp}. */
  private static Map<String, Map<Long, long[]>> onlineTiles(
      StatefulRedisConnection<byte[], byte[]> c) {
    Map<String, Map<Long, long[]>> out = new HashMap<>();
    for (int e = 0; e < ENTITIES; e++) {
      String entity = RUN + "e" + e;
      Map<byte[], byte[]> hash = c.sync().hgetall(OnlineKeys.keyBytes(PLAN, entity));
      if (hash.isEmpty()) {
        continue;
      }
      Map<Long, long[]> tiles = new HashMap<>();
      hash.forEach(
          (f, v) -> tiles.put(Long.parseLong(new String(f, StandardCharsets.US_ASCII)), parse(v)));
      out.put(entity, tiles);
    }
    return out;
  }

  /**
   * What the online store must hold: per entity, the newest committed version of each tile whose
   * start no read from now on prunes (start at or after {@code floor(now - maxWindow, tile)}), and
   * of the tile with the greatest start.
   */
  private static Map<String, Map<Long, Long>> expectedOnline(
      Map<VersionKey, Long> committed, long base) {
    long tile = PLAN.tileMillis();
    long keepFrom = Math.floorDiv(System.currentTimeMillis() - PLAN.maxWindowMillis(), tile) * tile;
    assertThat(keepFrom)
        .as("the test ran too long for its tiles")
        .isLessThan(base - RECENT_TILES * MIN);
    Map<String, Map<Long, Long>> newest = new HashMap<>();
    for (VersionKey k : committed.keySet()) {
      newest
          .computeIfAbsent(k.entity(), e -> new HashMap<>())
          .merge(k.start(), k.version(), Math::max);
    }
    Map<String, Map<Long, Long>> out = new HashMap<>();
    newest.forEach(
        (entity, tiles) -> {
          long maxStart = tiles.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
          Map<Long, Long> kept = new HashMap<>();
          tiles.forEach(
              (start, v) -> {
                if (start >= keepFrom || start == maxStart) {
                  kept.put(start, v);
                }
              });
          out.put(entity, kept);
        });
    return out;
  }
}
