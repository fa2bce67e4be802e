package io.freshet.online;

import static io.freshet.dsl.Aggregation.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestRedisCluster;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The row read script on a three-node Redis Cluster: rows of many entities spread over every node
 * are read with one script per slot, each key in its place, each with the clock of its slot's read,
 * never earlier than the stamp of the row it returns; keys of one slot share one instant.
 */
class RowReadScriptClusterTest {
  private static final long MINUTE = 60_000;

  @Test
  void reads_rows_of_entities_on_every_node_with_the_clock_of_each_slot() throws Exception {
    String why = TestRedisCluster.unavailable();
    assumeTrue(why == null, () -> "skipped, no Redis Cluster: " + why);
    ViewPlan plan =
        ViewPlan.of(
            FeatureView.named("row_read_cluster_test")
                .source(
                    KafkaJsonSource.topic("row-read-events")
                        .keyedBy("user_id")
                        .eventTimeField("event_ts")
                        .withMaxOutOfOrderness(Duration.ofSeconds(10)))
                .feature(
                    Feature.named("count_10m")
                        .aggregate(count())
                        .over(SlidingWindow.of(Duration.ofMinutes(10), Duration.ofMinutes(1))))
                .ttl(Duration.ofHours(1))
                .build());
    long now = System.currentTimeMillis();
    long ts = Math.floorDiv(now, MINUTE) * MINUTE;
    List<FeatureRow> rows = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    Set<Integer> nodes = new HashSet<>();
    for (int e = 0; e < 30; e++) {
      String entity = "cluster-rows-" + e;
      keys.add(OnlineKeys.key(plan, entity));
      nodes.add(SlotHash.getSlot(OnlineKeys.keyBytes(plan, entity)) / 5461);
      if (e % 3 != 0) {
        rows.add(new FeatureRow(entity, ts, new Object[] {(long) e}));
      }
    }
    assertThat(nodes).as("entities on every node").hasSize(3);
    try (OnlineWriter writer =
        OnlineWriter.create(plan, TestRedisCluster.uri(), OnlineClients.Settings.forTool())) {
      writer.writeStamped(writer.batches(rows, now, 4));
    }
    List<OnlineRow> read;
    try (OnlineReader reader =
        OnlineReader.connect(TestRedisCluster.uri(), OnlineClients.Settings.forTool())) {
      reader.requireConnected(Duration.ofSeconds(10));
      read = reader.rows(keys).toCompletableFuture().join();
    }

    assertThat(read).hasSize(keys.size());
    OnlineCodec codec = new OnlineCodec(plan);
    Map<Integer, Long> instantOfSlot = new HashMap<>();
    for (int e = 0; e < keys.size(); e++) {
      OnlineRow r = read.get(e);
      Long shared = instantOfSlot.putIfAbsent(SlotHash.getSlot(keys.get(e)), r.readMicros());
      if (shared != null) {
        assertThat(r.readMicros()).as("one instant per slot").isEqualTo(shared);
      }
      if (e % 3 == 0) {
        assertThat(r.value()).isNull();
        continue;
      }
      String entity = "cluster-rows-" + e;
      assertThat(codec.decode(entity, r.value()))
          .isEqualTo(new FeatureRow(entity, ts, new Object[] {(long) e}));
      long stamp =
          java.nio.ByteBuffer.wrap(r.value(), r.value().length - NewestWinsScript.STAMP_BYTES, 8)
              .getLong();
      assertThat(r.readMicros()).isGreaterThanOrEqualTo(stamp);
    }
  }
}
