package io.freshet.online;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.sum;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The stamps of the row script ({@link NewestWinsScript}) against a real Redis, through {@link
 * OnlineWriter#writeStamped}: a stored row gets a stamp later than every instant a script read
 * before it and not later than any read after it; a replay gets its stamp back; an older row, or
 * one that would expire at once, gets -1; a value stored without a stamp is stamped on its next
 * write; readers decode stamped values. Every test uses entity keys of its own (a random prefix),
 * so nothing is flushed; the keys expire by themselves.
 */
class RowStampsTest {
  private static final int DB = 7;
  private static final long MINUTE = 60_000;
  private static final String RUN = "row-stamps-test-" + UUID.randomUUID() + "-";

  private static ViewPlan plan;
  private static ViewPlan tilePlan;
  private static OnlineWriter writer;
  private static OnlineReader reader;
  private static RedisClient client;
  private static StatefulRedisConnection<byte[], byte[]> connection;
  private static RedisCommands<byte[], byte[]> redis;

  @BeforeAll
  static void start() {
    SlidingWindow hour = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(1));
    FeatureView.Builder view =
        FeatureView.named("row_stamps_test")
            .source(
                KafkaJsonSource.topic("row-stamp-events")
                    .keyedBy("user_id")
                    .eventTimeField("event_ts")
                    .withMaxOutOfOrderness(Duration.ofSeconds(10)))
            .feature(Feature.named("count_1h").aggregate(count()).over(hour))
            .feature(Feature.named("amount_1h").aggregate(sum("amount")).over(hour))
            .ttl(Duration.ofHours(2));
    plan = ViewPlan.of(view.build());
    tilePlan = ViewPlan.of(view.servedAtRequestTime(Duration.ofMinutes(1)).build());
    writer = OnlineWriter.create(plan, TestRedis.uri(DB), OnlineClients.Settings.forTool());
    reader = OnlineReader.connect(TestRedis.uri(DB), OnlineClients.Settings.forTool());
    reader.requireConnected(Duration.ofSeconds(10));
    client = RedisClient.create(TestRedis.uri(DB));
    connection = client.connect(ByteArrayCodec.INSTANCE);
    redis = connection.sync();
  }

  @AfterAll
  static void stop() {
    if (connection != null) {
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

  /** The store's clock as a script reads it ({@code TIME} inside the tile read script). */
  private static long nowMicros() {
    return reader.awaitTiles(tilePlan, RUN + "clock").readMicros();
  }

  private static FeatureRow row(String entity, long featureTs, long count) {
    return new FeatureRow(RUN + entity, featureTs, new Object[] {count, 2.5});
  }

  private static long write(FeatureRow row) throws Exception {
    return writer.writeStamped(List.of(List.of(row))).get(0)[0];
  }

  private static long storedStamp(String entity) {
    byte[] stored = redis.get(OnlineKeys.keyBytes(plan, RUN + entity));
    return ByteBuffer.wrap(stored, stored.length - NewestWinsScript.STAMP_BYTES, 8).getLong();
  }

  @Test
  void stamps_follow_the_order_of_the_scripts_and_separate_reads_before_from_reads_after()
      throws Exception {
    long ts = Math.floorDiv(nowMicros() / 1000, MINUTE) * MINUTE;
    long previousRead = nowMicros();
    long previousStamp = Long.MIN_VALUE;
    for (int i = 1; i <= 300; i++) {
      long stamp = write(row("order", ts, i));
      long read = nowMicros();
      assertThat(stamp).as("stamp of write %d", i).isGreaterThan(previousStamp);
      assertThat(stamp).as("stamp after the read before it").isGreaterThan(previousRead);
      assertThat(read).as("read after write %d", i).isGreaterThanOrEqualTo(stamp);
      assertThat(storedStamp("order")).isEqualTo(stamp);
      previousStamp = stamp;
      previousRead = read;
    }
  }

  @Test
  void a_replay_gets_its_stamp_back_an_older_row_minus_one_and_an_update_a_new_stamp()
      throws Exception {
    long ts = Math.floorDiv(nowMicros() / 1000, MINUTE) * MINUTE;
    long first = write(row("replay", ts, 3));
    long replay = write(row("replay", ts, 3));
    long older = write(row("replay", ts - MINUTE, 9));
    long update = write(row("replay", ts, 4));
    long newer = write(row("replay", ts + MINUTE, 1));

    assertThat(first).isPositive();
    assertThat(replay).isEqualTo(first);
    assertThat(older).isEqualTo(-1);
    assertThat(update).as("same window, other values: a later update").isGreaterThan(first);
    assertThat(newer).isGreaterThan(update);
    assertThat(storedStamp("replay")).isEqualTo(newer);
    byte[] stored = reader.awaitValue(plan, RUN + "replay");
    assertThat(new OnlineCodec(plan).decode(RUN + "replay", stored))
        .as("readers decode the row and ignore the stamp")
        .isEqualTo(row("replay", ts + MINUTE, 1));
  }

  @Test
  void a_row_expiring_at_once_is_not_stored_and_gets_minus_one() throws Exception {
    long nowMs = nowMicros() / 1000;
    long ttl = plan.ttl().toMillis();
    long stamp =
        writer.writeStamped(List.of(List.of(row("expired", nowMs - ttl - 1, 1)))).get(0)[0];
    assertThat(stamp).isEqualTo(-1);
    assertThat(redis.exists(OnlineKeys.keyBytes(plan, RUN + "expired"))).isZero();
  }

  @Test
  void a_value_stored_without_a_stamp_is_stamped_on_its_next_write() throws Exception {
    long ts = Math.floorDiv(nowMicros() / 1000, MINUTE) * MINUTE;
    FeatureRow r = row("legacy", ts, 1);
    byte[] key = OnlineKeys.keyBytes(plan, r.entityKey());
    redis.psetex(key, MINUTE, new OnlineCodec(plan).encode(r));
    long before = nowMicros();
    long stamp = write(r);
    assertThat(stamp).isGreaterThan(before);
    assertThat(storedStamp("legacy")).isEqualTo(stamp);
    assertThat(write(r)).isEqualTo(stamp);
  }

  @Test
  void one_call_stamps_every_row_it_stores_alike_and_answers_in_row_order() throws Exception {
    long ts = Math.floorDiv(nowMicros() / 1000, MINUTE) * MINUTE;
    write(row("batch-b", ts, 1));
    List<FeatureRow> rows = new ArrayList<>();
    rows.add(row("batch-a", ts, 1));
    rows.add(row("batch-b", ts - MINUTE, 1));
    rows.add(row("batch-c", ts, 1));
    long[] stamps = writer.writeStamped(List.of(rows)).get(0);
    assertThat(stamps[0]).isPositive();
    assertThat(stamps[1]).isEqualTo(-1);
    assertThat(stamps[2]).isEqualTo(stamps[0]);
  }
}
