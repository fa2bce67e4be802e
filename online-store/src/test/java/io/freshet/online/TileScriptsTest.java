package io.freshet.online;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.sum;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.Tile;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tile scripts against a real Redis, through {@link OnlineWriter#writeTiles} and {@link
 * OnlineReader#tiles}: versions decide, replays get their stamp back, stamps order writes and reads
 * as the store's clock does, old fields are pruned but never the newest, and the key expires when
 * the rule says the entity does. Every test uses entity keys of its own (a random prefix), so
 * nothing is flushed; the keys expire by themselves.
 */
class TileScriptsTest {
  private static final int DB = 7;
  private static final long MINUTE = 60_000;
  private static final String RUN = "tiles-test-" + UUID.randomUUID() + "-";

  private static ViewPlan plan;
  private static OnlineWriter writer;
  private static OnlineReader reader;
  private static RedisClient client;
  private static StatefulRedisConnection<String, String> connection;
  private static RedisCommands<String, String> redis;

  @BeforeAll
  static void start() {
    SlidingWindow tenMinutes = SlidingWindow.of(Duration.ofMinutes(10), Duration.ofMinutes(1));
    SlidingWindow hour = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(1));
    plan =
        ViewPlan.of(
            FeatureView.named("tile_script_test")
                .source(
                    KafkaJsonSource.topic("tile-events")
                        .keyedBy("user_id")
                        .eventTimeField("event_ts")
                        .withMaxOutOfOrderness(Duration.ofSeconds(10)))
                .feature(Feature.named("count_10m").aggregate(count()).over(tenMinutes))
                .feature(Feature.named("amount_1h").aggregate(sum("amount")).over(hour))
                .servedAtRequestTime(Duration.ofMinutes(1))
                .ttl(Duration.ofHours(2))
                .build());
    writer = OnlineWriter.create(plan, TestRedis.uri(DB), OnlineClients.Settings.forTool());
    reader = OnlineReader.connect(TestRedis.uri(DB), OnlineClients.Settings.forTool());
    reader.requireConnected(Duration.ofSeconds(10));
    client = RedisClient.create(TestRedis.uri(DB));
    connection = client.connect();
    redis = connection.sync();
  }

  @AfterAll
  static void stop() {
    if (redis != null) {
      List<String> mine = redis.keys("{" + RUN + "*");
      if (!mine.isEmpty()) {
        redis.del(mine.toArray(String[]::new));
      }
      connection.close();
      client.shutdown();
    }
    if (writer != null) {
      writer.close();
    }
    if (reader != null) {
      reader.close();
    }
  }

  private static String entity(String name) {
    return RUN + name;
  }

  private static long nowMillis() {
    return reader.awaitTiles(plan, entity("clock")).readMicros() / 1000;
  }

  private static byte[] payload(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static long write(Tile tile) throws Exception {
    return writer.writeTiles(List.of(tile), 10)[0];
  }

  @Test
  void a_newer_version_replaces_an_older_one_never_the_other_way_and_a_replay_gets_its_stamp()
      throws Exception {
    String e = entity("versions");
    long start = Math.floorDiv(nowMillis(), MINUTE) * MINUTE;

    long first = write(new Tile(e, start, 2, payload("two")));
    long older = write(new Tile(e, start, 1, payload("one")));
    long replay = write(new Tile(e, start, 2, payload("two")));
    EntityTiles afterReplay = reader.awaitTiles(plan, e);
    long newer = write(new Tile(e, start, 3, payload("three")));
    EntityTiles afterNewer = reader.awaitTiles(plan, e);

    assertThat(first).isPositive();
    assertThat(older).isEqualTo(-1);
    assertThat(replay).isEqualTo(first);
    assertThat(afterReplay.tiles())
        .containsExactly(new StoredTile(start, 2, first, payload("two")));
    assertThat(newer).isGreaterThan(first);
    assertThat(afterNewer.tiles())
        .containsExactly(new StoredTile(start, 3, newer, payload("three")));
  }

  @Test
  void stamps_and_read_instants_follow_the_order_of_the_scripts() throws Exception {
    String e = entity("order");
    long start = Math.floorDiv(nowMillis(), MINUTE) * MINUTE;
    long previousRead = Long.MIN_VALUE;
    long previousStamp = Long.MIN_VALUE;
    for (int version = 1; version <= 300; version++) {
      long stamp = write(new Tile(e, start, version, payload("v" + version)));
      EntityTiles read = reader.awaitTiles(plan, e);

      assertThat(stamp).as("stamp of version %d", version).isGreaterThan(previousStamp);
      assertThat(stamp).as("stamp after the previous read").isGreaterThan(previousRead);
      assertThat(read.readMicros())
          .as("read after version %d", version)
          .isGreaterThanOrEqualTo(stamp);
      assertThat(read.tiles()).extracting(StoredTile::visibleMicros).containsExactly(stamp);
      previousStamp = stamp;
      previousRead = read.readMicros();
    }
  }

  @Test
  void stamps_come_back_in_input_order_over_many_entities_and_calls() throws Exception {
    long now = Math.floorDiv(nowMillis(), MINUTE) * MINUTE;
    List<Tile> tiles = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      for (int k = 0; k < 7; k++) {
        tiles.add(new Tile(entity("many-" + k), now - t * MINUTE, 1 + k + t, payload(k + "/" + t)));
      }
    }

    long[] stamps = writer.writeTiles(tiles, 3);

    for (int i = 0; i < tiles.size(); i++) {
      Tile tile = tiles.get(i);
      EntityTiles read = reader.awaitTiles(plan, tile.entityKey());
      assertThat(read.tiles())
          .as("tile %s", tile)
          .contains(new StoredTile(tile.start(), tile.version(), stamps[i], tile.payload()));
    }
    // more calls than one: 28 tiles, at most 3 per call
    assertThat(java.util.Arrays.stream(stamps).distinct().count()).isGreaterThan(1);
  }

  @Test
  void fields_no_read_can_select_are_pruned_but_never_the_newest() throws Exception {
    String stale = entity("stale");
    String mixed = entity("mixed");
    long now = Math.floorDiv(nowMillis(), MINUTE) * MINUTE;
    long old1 = now - 180 * MINUTE;
    long old2 = now - 120 * MINUTE;
    long old3 = now - 90 * MINUTE;
    long recent = now - 10 * MINUTE;

    writer.writeTiles(
        List.of(
            new Tile(stale, old1, 1, payload("a")),
            new Tile(stale, old2, 1, payload("b")),
            new Tile(stale, old3, 1, payload("c")),
            new Tile(mixed, old1, 1, payload("a")),
            new Tile(mixed, recent, 1, payload("r")),
            new Tile(mixed, now, 1, payload("n"))),
        10);

    // the longest window is an hour: fields older than about now - 1h go, the newest stays
    assertThat(redis.hkeys(OnlineKeys.key(plan, stale))).containsExactly(Long.toString(old3));
    assertThat(redis.hkeys(OnlineKeys.key(plan, mixed)))
        .containsExactlyInAnyOrder(Long.toString(recent), Long.toString(now));
  }

  @Test
  void a_version_no_read_can_select_is_not_stored_and_never_served() throws Exception {
    String late = entity("late");
    String expired = entity("expired");
    long now = Math.floorDiv(nowMillis(), MINUTE) * MINUTE;
    long old = now - 120 * MINUTE;
    writer.writeTiles(List.of(new Tile(late, now, 1, payload("n"))), 10);

    long[] stamps =
        writer.writeTiles(
            List.of(
                new Tile(late, old, 1, payload("o")),
                new Tile(expired, now - 300 * MINUTE, 1, payload("e"))),
            10);

    assertThat(stamps).containsExactly(-1, -1);
    assertThat(redis.hkeys(OnlineKeys.key(plan, late))).containsExactly(Long.toString(now));
    assertThat(redis.exists(OnlineKeys.key(plan, expired))).isZero();
  }

  @Test
  void the_key_expires_when_the_rule_finds_the_entity_expired() throws Exception {
    String e = entity("expiry");
    long now = Math.floorDiv(nowMillis(), MINUTE) * MINUTE;
    long newest = now - 2 * MINUTE;

    writer.writeTiles(
        List.of(
            new Tile(e, newest, 4, payload("x")), new Tile(e, now - 5 * MINUTE, 1, payload("y"))),
        10);

    long expected =
        newest + MINUTE + Duration.ofHours(1).toMillis() + Duration.ofHours(2).toMillis();
    assertThat(redis.pexpiretime(OnlineKeys.key(plan, e))).isEqualTo(expected);
  }

  @Test
  void a_read_of_an_entity_without_tiles_has_the_clock_and_no_tiles() {
    EntityTiles read = reader.awaitTiles(plan, entity("nobody"));

    assertThat(read.tiles()).isEmpty();
    assertThat(read.readMicros()).isGreaterThan(1_700_000_000_000_000L);
  }
}
