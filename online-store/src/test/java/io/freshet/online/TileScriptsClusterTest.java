package io.freshet.online;

import static io.freshet.dsl.Aggregation.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.Tile;
import io.freshet.testing.TestRedisCluster;
import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The tile scripts on a three-node Redis Cluster: one write call holds the keys of one slot only,
 * so many entities spread over every node are written with their stamps in input order, and read
 * back with one read script per key.
 */
class TileScriptsClusterTest {
  private static final long MINUTE = 60_000;

  @Test
  void writes_and_reads_tiles_of_entities_on_every_node() throws Exception {
    String why = TestRedisCluster.unavailable();
    assumeTrue(why == null, () -> "skipped, no Redis Cluster: " + why);
    ViewPlan plan =
        ViewPlan.of(
            FeatureView.named("tile_cluster_test")
                .source(
                    KafkaJsonSource.topic("tile-events")
                        .keyedBy("user_id")
                        .eventTimeField("event_ts")
                        .withMaxOutOfOrderness(Duration.ofSeconds(10)))
                .feature(
                    Feature.named("count_10m")
                        .aggregate(count())
                        .over(SlidingWindow.of(Duration.ofMinutes(10), Duration.ofMinutes(1))))
                .servedAtRequestTime()
                .ttl(Duration.ofHours(1))
                .build());
    long now = Math.floorDiv(System.currentTimeMillis(), MINUTE) * MINUTE;
    List<Tile> tiles = new ArrayList<>();
    List<String> entities = new ArrayList<>();
    Set<Integer> slots = new HashSet<>();
    for (int e = 0; e < 30; e++) {
      String entity = "cluster-tiles-" + e;
      entities.add(entity);
      slots.add(SlotHash.getSlot(OnlineKeys.keyBytes(plan, entity)) / 5461);
      for (int t = 0; t < 3; t++) {
        tiles.add(
            new Tile(
                entity,
                now - t * MINUTE,
                1 + e + t,
                (e + "/" + t).getBytes(StandardCharsets.UTF_8)));
      }
    }
    assertThat(slots).as("entities on every node").hasSize(3);

    long[] stamps;
    try (OnlineWriter writer =
        OnlineWriter.create(plan, TestRedisCluster.uri(), OnlineClients.Settings.forTool())) {
      stamps = writer.writeTiles(tiles, 4);
    }
    List<EntityTiles> read;
    try (OnlineReader reader =
        OnlineReader.connect(TestRedisCluster.uri(), OnlineClients.Settings.forTool())) {
      reader.requireConnected(Duration.ofSeconds(10));
      read =
          reader
              .tiles(entities.stream().map(e -> OnlineKeys.key(plan, e)).toList())
              .toCompletableFuture()
              .join();
    }

    assertThat(read).hasSize(entities.size());
    for (int i = 0; i < tiles.size(); i++) {
      Tile tile = tiles.get(i);
      EntityTiles entity = read.get(entities.indexOf(tile.entityKey()));
      assertThat(stamps[i]).isPositive();
      assertThat(entity.readMicros()).isGreaterThanOrEqualTo(stamps[i]);
      assertThat(entity.tiles())
          .contains(new StoredTile(tile.start(), tile.version(), stamps[i], tile.payload()));
    }
  }
}
