package io.freshet.flink.sink.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.CommitId;
import io.freshet.flink.sink.GeneratedRows;
import io.freshet.flink.sink.RecordingCommitRequest;
import io.freshet.flink.sink.RecordingCommitRequest.Signal;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.flink.sink.StoreContents;
import io.freshet.online.NewestWinsScript;
import io.freshet.online.OnlineKeys;
import io.freshet.online.OnlineStoreUri;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestRedisCluster;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;
import org.apache.flink.api.connector.sink2.Committer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The online sink's committer against a three-node Redis Cluster. */
class RedisClusterCommitterTest {
  private static final ViewPlan PLAN = GeneratedRows.PLAN;
  private static final String JOB = "00112233445566778899aabbccddeeff";
  private static final Backoff QUICK =
      new Backoff(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(30));

  /** 600 entities, 10 rounds, about one row in eight a late update. */
  private final GeneratedRows data = new GeneratedRows(600, 6000);

  private final List<Committer<RowCommittable>> committers = new ArrayList<>();

  @BeforeAll
  static void cluster() {
    String why = TestRedisCluster.unavailable();
    assumeTrue(why == null, () -> "skipped, no Redis Cluster: " + why);
  }

  @BeforeEach
  void empty() {
    TestRedisCluster.flushAll();
  }

  @AfterEach
  void close() throws Exception {
    for (Committer<RowCommittable> c : committers) {
      c.close();
    }
  }

  @Test
  void rows_of_many_entities_land_newest_wins_on_every_node() throws Exception {
    Committer<RowCommittable> committer = committer(37);
    List<FeatureRow> all = new ArrayList<>();
    for (int checkpoint = 1; checkpoint <= 4; checkpoint++) {
      List<FeatureRow> rows = rows((checkpoint - 1) * 1500L, checkpoint * 1500L);
      all.addAll(rows);
      assertThat(RecordingCommitRequest.commit(committer, committable(checkpoint, rows)))
          .isEqualTo(Signal.COMMITTED);
    }

    Map<String, FeatureRow> expected = newest(all);
    assertThat(expected).hasSize(600);
    assertThat(stored()).isEqualTo(expected);

    List<Integer> perNode = new ArrayList<>();
    for (String node : TestRedisCluster.nodes()) {
      perNode.add(StoreContents.online(node, PLAN).size());
    }
    assertThat(perNode)
        .as("online keys per node, spread by their entity hash tag")
        .allMatch(n -> n > 50);
  }

  @Test
  void a_replay_is_skipped_by_its_marker_and_without_it_changes_nothing() throws Exception {
    Committer<RowCommittable> committer = committer(100);
    RowCommittable first = committable(1, rows(0, 3000));
    RowCommittable second = committable(2, rows(3000, 6000));
    RecordingCommitRequest.commit(committer, first);
    RecordingCommitRequest.commit(committer, second);
    Map<String, FeatureRow> before = stored();

    assertThat(RecordingCommitRequest.commit(committer, second))
        .isEqualTo(Signal.ALREADY_COMMITTED);

    for (String node : TestRedisCluster.nodes()) {
      RedisClient client = RedisClient.create(node);
      try (StatefulRedisConnection<String, String> c = client.connect()) {
        c.sync().keys("freshet:commit:*").forEach(k -> c.sync().del(k));
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      }
    }
    assertThat(RecordingCommitRequest.commit(committer(100), first)).isEqualTo(Signal.COMMITTED);
    assertThat(RecordingCommitRequest.commit(committer(100), second)).isEqualTo(Signal.COMMITTED);
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  void one_script_call_may_not_span_slots_which_is_why_rows_are_grouped_by_slot() {
    String a = OnlineKeys.key(PLAN, "user-1");
    String b = OnlineKeys.key(PLAN, "user-2");
    assertThat(SlotHash.getSlot(a)).isNotEqualTo(SlotHash.getSlot(b));
    List<RedisURI> seeds =
        OnlineStoreUri.parse(TestRedisCluster.uri()).nodes().stream()
            .map(RedisURI::create)
            .toList();
    RedisClusterClient client = RedisClusterClient.create(seeds);
    try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
      assertThatThrownBy(
              () ->
                  c.sync()
                      .eval(
                          NewestWinsScript.SOURCE,
                          ScriptOutputType.INTEGER,
                          new String[] {a, b},
                          "x",
                          "1",
                          "y",
                          "1"))
          .isInstanceOf(RedisCommandExecutionException.class)
          .hasMessageContaining("CROSSSLOT");
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  @Test
  void a_cluster_uri_is_checked_when_the_sink_is_built() {
    assertThatThrownBy(() -> RedisOnlineSink.exactlyOnce(PLAN, "redis-cluster://a:1/3"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("only database 0");
    assertThat(RedisOnlineCommitter.safe("redis-cluster://secret@a:1,b:2"))
        .isEqualTo("redis-cluster://***@a:1,b:2");
  }

  private Committer<RowCommittable> committer(int rowsPerScript) {
    Committer<RowCommittable> c =
        RedisOnlineSink.exactlyOnce(PLAN, TestRedisCluster.uri())
            .withRowsPerScript(rowsPerScript)
            .withRetries(QUICK)
            .createCommitter(null);
    committers.add(c);
    return c;
  }

  private List<FeatureRow> rows(long from, long to) {
    return LongStream.range(from, to).mapToObj(data::row).toList();
  }

  /** What a writer prepares for a checkpoint: each entity's newest row, the later on a tie. */
  private static RowCommittable committable(long checkpoint, List<FeatureRow> rows) {
    return new RowCommittable(
        RowCommittable.viewOf(PLAN),
        new CommitId(JOB, 0, checkpoint, 5),
        List.copyOf(newest(rows).values()));
  }

  private static Map<String, FeatureRow> newest(List<FeatureRow> rows) {
    Map<String, FeatureRow> newest = new HashMap<>();
    for (FeatureRow r : rows) {
      FeatureRow old = newest.get(r.entityKey());
      if (old == null || old.featureTs() <= r.featureTs()) {
        newest.put(r.entityKey(), r);
      }
    }
    return newest;
  }

  /** Every entity's row, read node by node; no key may be on two nodes. */
  private static Map<String, FeatureRow> stored() {
    Map<String, FeatureRow> all = new HashMap<>();
    Set<String> seen = new HashSet<>();
    for (String node : TestRedisCluster.nodes()) {
      Map<String, FeatureRow> rows = StoreContents.online(node, PLAN);
      for (String entity : rows.keySet()) {
        assertThat(seen.add(entity)).as("%s on one node only", entity).isTrue();
      }
      all.putAll(rows);
    }
    return all;
  }
}
