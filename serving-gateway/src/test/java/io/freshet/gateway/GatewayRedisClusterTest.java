package io.freshet.gateway;

import static io.freshet.gateway.GatewayClient.json;
import static io.freshet.gateway.GatewayFixture.recentWindowEnd;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestRedisCluster;
import io.lettuce.core.cluster.SlotHash;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway reading the online table from a three-node Redis Cluster ({@code
 * redis-cluster://...}): entities hash-tagged onto every node, single reads and one request over
 * entities of many slots.
 */
class GatewayRedisClusterTest {
  /** The first slot of each node of the test cluster, and one past the last. */
  private static final int[] SLOT_STARTS = {0, 5461, 10923, 16384};

  private static GatewayServer gateway;
  private static OnlineTableWriter table;
  private static GatewayClient client;
  private static ViewPlan activity;
  private static ViewPlan live;

  @BeforeAll
  static void start() {
    String why = TestRedisCluster.unavailable();
    assumeTrue(why == null, () -> "skipped, no Redis Cluster: " + why);
    table = new OnlineTableWriter(TestRedisCluster.uri());
    gateway =
        GatewayServer.start(new GatewayConfig(0, TestRedisCluster.uri(), TestViews.catalog()));
    client = new GatewayClient(gateway.port());
    activity = gateway.catalog().orElseThrow().plan("user_activity");
    live = gateway.catalog().orElseThrow().plan("user_activity_live");
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (table != null) {
      table.close();
    }
  }

  @BeforeEach
  void flush() {
    table.flushDb();
    assertThat(TestRedisCluster.keyCounts()).containsOnly(0L);
  }

  @Test
  void is_ready_and_names_the_cluster() {
    assertThat(client.get("/ready").statusCode()).isEqualTo(200);
    assertThat(gateway.toString()).contains("cluster 127.0.0.1:");
  }

  @Test
  void reads_one_entity_from_each_node() {
    long ts = recentWindowEnd();
    List<String> users = new ArrayList<>();
    for (int node = 0; node < 3; node++) {
      String user = userOnNode(node);
      users.add(user);
      table.write(activity, ActivityRows.of(user, ts, 10 + node, node, node * 1.5));
    }
    assertThat(TestRedisCluster.keyCounts()).containsExactly(1L, 1L, 1L);

    for (int node = 0; node < 3; node++) {
      HttpResponse<String> response = client.get("/features/user_activity/" + users.get(node));
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      JsonNode body = json(response);
      assertThat(body.get("entity").asText()).isEqualTo(users.get(node));
      assertThat(body.get("status").asText()).isEqualTo("PRESENT");
      assertThat(body.get("features").get("event_count_1h").longValue()).isEqualTo(10 + node);
      assertThat(body.get("features").get("revenue_1h").doubleValue()).isEqualTo(node * 1.5);
    }
    assertThat(client.get("/features/user_activity/nobody").statusCode()).isEqualTo(404);
  }

  @Test
  void one_request_over_entities_of_many_slots_and_every_node() {
    long ts = recentWindowEnd();
    int n = 300;
    Set<Integer> slots = new HashSet<>();
    for (int i = 0; i < n; i++) {
      String user = "u" + i;
      slots.add(SlotHash.getSlot(OnlineKeys.key(activity, user)));
      if (i % 2 == 0) {
        table.write(activity, ActivityRows.of(user, ts, i, i / 2, i * 1.5));
      }
      if (i % 3 == 0) {
        table.write(live, ActivityRows.of(user, ts, 1000L + i, i % 7, 0.0));
      }
    }
    assertThat(slots).hasSizeGreaterThan(250);
    assertThat(TestRedisCluster.keyCounts())
        .as("keys per node, spread by the entity hash tag")
        .allMatch(count -> count > 30);

    String users =
        IntStream.range(0, n).mapToObj(i -> "\"u" + i + "\"").collect(Collectors.joining(","));
    HttpResponse<String> response =
        client.post(
            "/get-online-features",
            "{\"features\": [\"user_activity:event_count_1h\", \"user_activity:revenue_1h\","
                + " \"user_activity_live:purchase_count_1h\"],"
                + " \"entities\": {\"user_id\": ["
                + users
                + "]}}");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode results = json(response).get("results");
    for (int i = 0; i < n; i++) {
      assertThat(results.get(0).get("values").get(i).textValue()).isEqualTo("u" + i);
      JsonNode events = results.get(1);
      if (i % 2 == 0) {
        assertThat(events.get("statuses").get(i).textValue()).isEqualTo("PRESENT");
        assertThat(events.get("values").get(i).longValue()).isEqualTo(i);
        assertThat(results.get(2).get("values").get(i).doubleValue()).isEqualTo(i * 1.5);
      } else {
        assertThat(events.get("statuses").get(i).textValue()).isEqualTo("NOT_FOUND");
      }
      JsonNode purchases = results.get(3);
      if (i % 3 == 0) {
        assertThat(purchases.get("statuses").get(i).textValue()).isEqualTo("PRESENT");
        assertThat(purchases.get("values").get(i).longValue()).isEqualTo(i % 7);
      } else {
        assertThat(purchases.get("statuses").get(i).textValue()).isEqualTo("NOT_FOUND");
      }
    }
  }

  /** A user whose online key of {@code user_activity} lies in the slots of node {@code node}. */
  private static String userOnNode(int node) {
    for (int i = 0; ; i++) {
      String user = "user_" + i;
      int slot = SlotHash.getSlot(OnlineKeys.key(activity, user));
      if (slot >= SLOT_STARTS[node] && slot < SLOT_STARTS[node + 1]) {
        return user;
      }
    }
  }
}
