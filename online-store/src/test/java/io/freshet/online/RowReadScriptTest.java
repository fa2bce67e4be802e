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
 * The row read script ({@link RowReadScript}) against a real Redis, through {@link
 * OnlineReader#rows}: every key of a call is read at one instant of the store's clock, a stamped
 * row is returned by a read at an instant not before its stamp and never by a read before it,
 * missing keys are null in their place, and values come back as stored (a corrupt one too: decoding
 * is the caller's). Every test uses entity keys of its own (a random prefix), so nothing is
 * flushed; the keys expire by themselves.
 */
class RowReadScriptTest {
  private static final int DB = 7;
  private static final long MINUTE = 60_000;
  private static final String RUN = "row-read-test-" + UUID.randomUUID() + "-";

  private static ViewPlan plan;
  private static ViewPlan other;
  private static OnlineWriter writer;
  private static OnlineReader reader;
  private static RedisClient client;
  private static StatefulRedisConnection<byte[], byte[]> connection;
  private static RedisCommands<byte[], byte[]> redis;

  @BeforeAll
  static void start() {
    SlidingWindow hour = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(1));
    FeatureView.Builder view =
        FeatureView.named("row_read_test")
            .source(
                KafkaJsonSource.topic("row-read-events")
                    .keyedBy("user_id")
                    .eventTimeField("event_ts")
                    .withMaxOutOfOrderness(Duration.ofSeconds(10)))
            .feature(Feature.named("count_1h").aggregate(count()).over(hour))
            .feature(Feature.named("amount_1h").aggregate(sum("amount")).over(hour))
            .ttl(Duration.ofHours(2));
    plan = ViewPlan.of(view.build());
    other =
        ViewPlan.of(
            FeatureView.named("row_read_test_other")
                .source(
                    KafkaJsonSource.topic("row-read-events")
                        .keyedBy("user_id")
                        .eventTimeField("event_ts")
                        .withMaxOutOfOrderness(Duration.ofSeconds(10)))
                .feature(Feature.named("count_1h").aggregate(count()).over(hour))
                .feature(Feature.named("amount_1h").aggregate(sum("amount")).over(hour))
                .ttl(Duration.ofHours(2))
                .build());
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

  private static FeatureRow row(String entity, long featureTs, long count) {
    return new FeatureRow(RUN + entity, featureTs, new Object[] {count, 2.5});
  }

  private static long write(FeatureRow row) throws Exception {
    return writer.writeStamped(List.of(List.of(row))).get(0)[0];
  }

  private static List<OnlineRow> read(List<String> keys) {
    return reader.rows(keys).toCompletableFuture().join();
  }

  private static long stampOf(byte[] stored) {
    return ByteBuffer.wrap(stored, stored.length - NewestWinsScript.STAMP_BYTES, 8).getLong();
  }

  @Test
  void a_read_returns_a_row_from_its_stamp_on_and_the_clock_it_was_read_at() throws Exception {
    long ts = Math.floorDiv(reader.awaitRow(plan, RUN + "clock").readMicros() / 1000, MINUTE);
    ts *= MINUTE;
    OnlineCodec codec = new OnlineCodec(plan);
    long previousRead = Long.MIN_VALUE;
    for (int i = 1; i <= 200; i++) {
      OnlineRow before = reader.awaitRow(plan, RUN + "order");
      long stamp = write(row("order", ts, i));
      OnlineRow after = reader.awaitRow(plan, RUN + "order");
      assertThat(before.readMicros()).isGreaterThanOrEqualTo(previousRead).isLessThan(stamp);
      assertThat(after.readMicros()).as("read after write %d", i).isGreaterThanOrEqualTo(stamp);
      if (i == 1) {
        assertThat(before.value()).as("nothing before the first write").isNull();
      } else {
        assertThat(codec.decode(RUN + "order", before.value()).values()[0])
            .as("the read before write %d holds the previous row", i)
            .isEqualTo((long) i - 1);
      }
      assertThat(stampOf(after.value())).isEqualTo(stamp);
      assertThat(codec.decode(RUN + "order", after.value())).isEqualTo(row("order", ts, i));
      previousRead = after.readMicros();
    }
  }

  @Test
  void keys_of_one_call_share_one_instant_and_come_back_in_order_with_nulls_for_missing()
      throws Exception {
    long ts = Math.floorDiv(System.currentTimeMillis(), MINUTE) * MINUTE;
    write(row("a", ts, 1));
    write(row("c", ts, 3));
    OnlineWriter otherWriter =
        OnlineWriter.create(other, TestRedis.uri(DB), OnlineClients.Settings.forTool());
    try {
      otherWriter.writeStamped(List.of(List.of(row("a", ts, 7))));
    } finally {
      otherWriter.close();
    }
    List<String> keys = new ArrayList<>();
    for (String e : List.of("a", "b", "c")) {
      keys.add(OnlineKeys.key(plan, RUN + e));
    }
    keys.add(OnlineKeys.key(other, RUN + "a"));
    keys.add(OnlineKeys.key(plan, RUN + "a"));
    List<OnlineRow> rows = read(keys);

    assertThat(rows).hasSize(5);
    assertThat(rows).extracting(OnlineRow::readMicros).containsOnly(rows.get(0).readMicros());
    assertThat(rows.get(1).value()).isNull();
    OnlineCodec codec = new OnlineCodec(plan);
    assertThat(codec.decode(RUN + "a", rows.get(0).value())).isEqualTo(row("a", ts, 1));
    assertThat(codec.decode(RUN + "c", rows.get(2).value())).isEqualTo(row("c", ts, 3));
    assertThat(new OnlineCodec(other).decode(RUN + "a", rows.get(3).value()))
        .isEqualTo(row("a", ts, 7));
    assertThat(rows.get(4).value()).isEqualTo(rows.get(0).value());
    for (int i : new int[] {0, 2, 3}) {
      assertThat(stampOf(rows.get(i).value())).isLessThanOrEqualTo(rows.get(i).readMicros());
    }
  }

  @Test
  void a_corrupt_value_is_returned_as_stored_beside_the_others() throws Exception {
    long ts = Math.floorDiv(System.currentTimeMillis(), MINUTE) * MINUTE;
    write(row("good", ts, 5));
    byte[] junk = {9, 9, 9};
    redis.psetex(OnlineKeys.keyBytes(plan, RUN + "junk"), MINUTE, junk);
    List<OnlineRow> rows =
        read(List.of(OnlineKeys.key(plan, RUN + "junk"), OnlineKeys.key(plan, RUN + "good")));
    assertThat(rows.get(0).value()).isEqualTo(junk);
    assertThat(new OnlineCodec(plan).decode(RUN + "good", rows.get(1).value()))
        .isEqualTo(row("good", ts, 5));
  }

  @Test
  void many_keys_fit_one_call() {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      keys.add(OnlineKeys.key(plan, RUN + "many-" + i));
    }
    List<OnlineRow> rows = read(keys);
    assertThat(rows).hasSize(keys.size());
    assertThat(rows).allMatch(r -> r.value() == null);
  }
}
