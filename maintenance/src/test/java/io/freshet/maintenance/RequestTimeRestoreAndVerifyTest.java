package io.freshet.maintenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import io.freshet.aggregate.PartAggregator;
import io.freshet.aggregate.PartAggregators;
import io.freshet.aggregate.RequestTimeRule;
import io.freshet.aggregate.SliceCodec;
import io.freshet.examples.UserActivity;
import io.freshet.maintenance.OnlineVerifier.Mismatch;
import io.freshet.maintenance.OnlineVerifier.Problem;
import io.freshet.offline.TileTable;
import io.freshet.online.EntityTiles;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineKeys;
import io.freshet.online.OnlineReader;
import io.freshet.online.OnlineWriter;
import io.freshet.online.StoredTile;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code verify} and {@code restore-online} of a request-time view ({@code user_activity_live},
 * tiles of one minute, a 1 h window, TTL 2 h) against a real Postgres and Redis: a tile history and
 * online tiles written as the job writes them, then each kind of difference seeded by hand, then a
 * lost online table restored.
 */
class RequestTimeRestoreAndVerifyTest {
  private static final ViewPlan PLAN = ViewPlan.of(UserActivity.liveView());
  private static final long T = 60_000L;
  private static final long MIN = 60_000L;

  private String pgUrl;
  private String redisUrl;
  private RedisClient client;
  private StatefulRedisConnection<byte[], byte[]> redis;

  /** Entities of this run only: no other test's keys are touched, and nothing is flushed. */
  private String prefix;

  private final List<String> users = new ArrayList<>();
  private String oldOnly;
  private String expired;

  /** The start of the tile open when the tables were filled. */
  private long base;

  @BeforeEach
  void fill() throws Exception {
    pgUrl = TestPostgres.freshDatabase("freshet_maint_rt");
    redisUrl = TestRedis.uri(6);
    client = RedisClient.create(redisUrl);
    redis = client.connect(ByteArrayCodec.INSTANCE);
    prefix = "rt-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    for (int u = 0; u < 8; u++) {
      users.add(prefix + "u" + u);
    }
    oldOnly = prefix + "old";
    expired = prefix + "expired";

    base = Math.floorDiv(System.currentTimeMillis(), T) * T;
    // per entity: newest versions by tile (what goes online) and every version (the history)
    Map<String, List<Tile>> newest = new LinkedHashMap<>();
    List<Tile> history = new ArrayList<>();
    for (int u = 0; u < users.size(); u++) {
      List<Tile> mine = new ArrayList<>();
      // the open tile, recent ones, one 5 minutes back, one older than the window
      for (long back : new long[] {70, 5, 2, 1, 0}) {
        long start = base - back * MIN;
        int versions = 1 + (u + (int) back) % 3;
        for (int v = 1; v <= versions; v++) {
          history.add(tile(users.get(u), start, v));
        }
        mine.add(tile(users.get(u), start, versions));
      }
      newest.put(users.get(u), mine);
    }
    // only a tile past the window: no value in any window, still served (empty) until expiry
    Tile old = tile(oldOnly, base - 90 * MIN, 2);
    history.add(tile(oldOnly, base - 90 * MIN, 1));
    history.add(old);
    newest.put(oldOnly, List.of(old));

    List<Tile> online = newest.values().stream().flatMap(List::stream).toList();
    long[] stamps;
    try (OnlineWriter w = OnlineWriter.create(PLAN, redisUrl, OnlineClients.Settings.forTool())) {
      stamps = w.writeTiles(online, 7);
    }
    Map<Tile, Long> visible = new LinkedHashMap<>();
    for (int i = 0; i < online.size(); i++) {
      visible.put(online.get(i), stamps[i]);
    }
    // expired: its newest tile left every window and the TTL more than 3 hours ago
    history.add(tile(expired, base - 4 * 60 * MIN, 3));

    TileTable table = TileTable.of(PLAN);
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement()) {
      for (String ddl : table.createStatements()) {
        s.execute(ddl);
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO "
                  + table.qualifiedName()
                  + " (entity_key, tile_start, version, payload, visible_at) VALUES (?,"
                  + " timestamptz 'epoch' + ? * interval '1 millisecond', ?, ?,"
                  + " timestamptz 'epoch' + ? * interval '1 microsecond')")) {
        for (Tile t : history) {
          Long stamp = visible.get(t);
          ps.setString(1, t.entityKey());
          ps.setLong(2, t.start());
          ps.setLong(3, t.version());
          ps.setBytes(4, t.payload());
          // older versions were served earlier; -1 (pruned at once) is stored as never served
          if (stamp == null) {
            ps.setLong(5, (t.start() + 1000) * 1000);
          } else if (stamp < 0) {
            ps.setNull(5, java.sql.Types.BIGINT);
          } else {
            ps.setLong(5, stamp);
          }
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
  }

  @AfterEach
  void clean() {
    for (String e : allEntities()) {
      redis.sync().del(OnlineKeys.keyBytes(PLAN, e));
    }
    redis.close();
    client.shutdown();
  }

  private List<String> allEntities() {
    List<String> all = new ArrayList<>(users);
    all.add(oldOnly);
    all.add(expired);
    return all;
  }

  @Test
  void verify_passes_on_what_the_job_wrote_and_finds_each_kind_of_tile_difference() {
    OnlineVerifier verifier = new OnlineVerifier(pgUrl, redisUrl, Clock.systemUTC());
    OnlineVerifier.Report ok = verifier.verify(PLAN, 1000, Duration.ZERO);
    assertThat(ok.checked()).isEqualTo(10);
    assertThat(ok.mismatches()).isEmpty();

    String field = Long.toString(base - MIN);
    redis.sync().del(key(users.get(1)));
    // a newer version online than the history knows: a commit between its two stores
    try (OnlineWriter w = OnlineWriter.create(PLAN, redisUrl, OnlineClients.Settings.forTool())) {
      w.writeTiles(List.of(tile(users.get(2), base - MIN, 9)), 10);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    // an older version than the history's newest (users 3 and 4 have 2 and 3 versions there)
    redis.sync().hset(key(users.get(3)), bytes(field), stored(tile(users.get(3), base - MIN, 1)));
    // the same version with other bytes: the payload of another count
    Tile other = tile(users.get(4), base - MIN, 5);
    byte[] sameVersion = stored(new Tile(other.entityKey(), other.start(), 3, other.payload()));
    redis.sync().hset(key(users.get(4)), bytes(field), sameVersion);
    // no header at all
    redis.sync().hset(key(users.get(5)), bytes(field), bytes("garbage"));
    // tiles online for an entity the history says expired
    redis.sync().hset(key(expired), bytes(Long.toString(base)), stored(tile(expired, base, 1)));
    redis.sync().pexpire(key(expired), 600_000);

    List<Mismatch> found = verifier.verify(PLAN, 1000, Duration.ZERO).mismatches();
    assertThat(found)
        .extracting(Mismatch::entity, Mismatch::problem)
        .containsExactlyInAnyOrder(
            tuple(users.get(1), Problem.MISSING_ONLINE),
            tuple(users.get(2), Problem.AHEAD_OF_OFFLINE),
            tuple(users.get(3), Problem.STALE_ONLINE),
            tuple(users.get(4), Problem.VALUES_DIFFER),
            tuple(users.get(5), Problem.UNDECODABLE),
            tuple(expired, Problem.UNEXPECTED_ONLINE));
    Mismatch stale =
        found.stream().filter(m -> m.problem() == Problem.STALE_ONLINE).findFirst().orElseThrow();
    assertThat(stale.toString()).contains("offline v2, online v1");
    assertThat(stale.online().values()).isNotEqualTo(stale.offline().values());

    // a restore rewrites what is missing, stale or unreadable; it keeps a newer version and a
    // version it already holds, and leaves an expired entity alone
    var restored = new OnlineRestorer(pgUrl, redisUrl, Clock.systemUTC()).restoreTiles(PLAN);
    assertThat(restored.entities()).isEqualTo(9);
    assertThat(verifier.verify(PLAN, 1000, Duration.ZERO).mismatches())
        .extracting(Mismatch::entity, Mismatch::problem)
        .containsExactlyInAnyOrder(
            tuple(users.get(2), Problem.AHEAD_OF_OFFLINE),
            tuple(users.get(4), Problem.VALUES_DIFFER),
            tuple(expired, Problem.UNEXPECTED_ONLINE));
  }

  @Test
  void a_lost_online_table_is_restored_and_serves_the_same_values_with_new_visibility_instants() {
    Map<String, EntityTiles> before = new LinkedHashMap<>();
    try (OnlineReader reader = OnlineReader.connect(redisUrl, OnlineClients.Settings.forTool())) {
      reader.requireConnected(Duration.ofSeconds(10));
      for (String e : allEntities()) {
        before.put(e, reader.awaitTiles(PLAN, e));
      }
    }
    assertThat(before.get(expired).tiles()).isEmpty();
    assertThat(before.get(users.get(0)).tiles()).hasSize(4); // the tile past the window was pruned

    for (String e : allEntities()) {
      redis.sync().del(key(e));
    }
    var r = new OnlineRestorer(pgUrl, redisUrl, Clock.systemUTC()).restoreTiles(PLAN);
    // 8 users x 5 tiles + the old-only entity's one + the expired one's, newest versions only
    assertThat(r.tilesRead()).isEqualTo(8 * 5 + 1 + 1);
    assertThat(r.entities()).isEqualTo(9);
    assertThat(r.tilesWritten()).isEqualTo(8 * 4 + 1);
    assertThat(r.tilesRefused()).isZero();

    RequestTimeRule rule = new RequestTimeRule(PLAN);
    try (OnlineReader reader = OnlineReader.connect(redisUrl, OnlineClients.Settings.forTool())) {
      reader.requireConnected(Duration.ofSeconds(10));
      for (String e : allEntities()) {
        EntityTiles after = reader.awaitTiles(PLAN, e);
        EntityTiles was = before.get(e);
        assertThat(after.tiles())
            .extracting(StoredTile::start, StoredTile::version, t -> hex(t.payload()))
            .containsExactlyElementsOf(
                was.tiles().stream()
                    .map(t -> tuple(t.start(), t.version(), hex(t.payload())))
                    .toList());
        long t = Math.floorDiv(after.readMicros(), 1000);
        FeatureRow served = rule.valueAt(e, tiles(e, after), t);
        assertThat(served).isEqualTo(rule.valueAt(e, tiles(e, was), t));
        assertThat(served == null).isEqualTo(e.equals(expired));
        for (int i = 0; i < after.tiles().size(); i++) {
          assertThat(after.tiles().get(i).visibleMicros())
              .as("restored tiles become visible when restored")
              .isGreaterThan(was.tiles().get(i).visibleMicros());
        }
      }
    }
    assertThat(
            new OnlineVerifier(pgUrl, redisUrl, Clock.systemUTC())
                .verify(PLAN, 1000, Duration.ZERO)
                .mismatches())
        .isEmpty();
  }

  private static List<Tile> tiles(String entity, EntityTiles read) {
    return read.tiles().stream()
        .map(s -> new Tile(entity, s.start(), s.version(), s.payload()))
        .toList();
  }

  private static String hex(byte[] b) {
    return java.util.HexFormat.of().formatHex(b);
  }

  private static byte[] key(String entity) {
    return OnlineKeys.keyBytes(PLAN, entity);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A stored tile as the online table's layout has it: {@code <version>:<stamp>:<payload>}. */
  private static byte[] stored(Tile t) {
    byte[] head = bytes(t.version() + ":" + System.currentTimeMillis() * 1000 + ":");
    byte[] out = new byte[head.length + t.payload().length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(t.payload(), 0, out, head.length, t.payload().length);
    return out;
  }

  /** A tile of {@code version} events, each counted, summed and named as the features want. */
  private static Tile tile(String entity, long start, int version) {
    List<FeaturePart.Aggregated> parts = PLAN.aggregatedParts();
    @SuppressWarnings("unchecked")
    PartAggregator<Object, Object>[] aggs = new PartAggregator[parts.size()];
    for (int i = 0; i < aggs.length; i++) {
      aggs[i] = PartAggregators.erased(parts.get(i).aggregation());
    }
    Object[] accs = new Object[aggs.length];
    for (int v = 0; v < version; v++) {
      for (int i = 0; i < aggs.length; i++) {
        accs[i] = aggs[i].add(accs[i], 2.5, "text" + v, start + v);
      }
    }
    try {
      return new Tile(entity, start, version, new SliceCodec(aggs).encode(accs));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
