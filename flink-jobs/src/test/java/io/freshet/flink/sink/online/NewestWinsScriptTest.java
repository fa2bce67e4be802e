package io.freshet.flink.sink.online;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.flink.sink.GeneratedRows;
import io.freshet.online.NewestWinsScript;
import io.freshet.online.OnlineCodec;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The script's byte-wise recency test against plain {@code long} comparison. */
class NewestWinsScriptTest {
  private static final OnlineCodec CODEC = new OnlineCodec(GeneratedRows.PLAN);
  private static final byte[] FAR_FUTURE =
      Long.toString(System.currentTimeMillis() + 86_400_000L).getBytes(StandardCharsets.US_ASCII);
  private static RedisClient client;
  private static StatefulRedisConnection<byte[], byte[]> connection;
  private static String sha;

  @BeforeAll
  static void connect() {
    client = RedisClient.create(TestRedis.uri(5));
    connection = client.connect(ByteArrayCodec.INSTANCE);
    sha = connection.sync().scriptLoad(NewestWinsScript.BYTES);
  }

  @AfterAll
  static void disconnect() {
    connection.sync().flushdb();
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  @BeforeEach
  void flush() {
    connection.sync().flushdb();
  }

  @Test
  void keeps_the_greater_feature_ts_across_sign_and_byte_boundaries() {
    List<long[]> pairs = new ArrayList<>();
    long[] edges = {
      Long.MIN_VALUE,
      Long.MIN_VALUE + 1,
      -256,
      -255,
      -1,
      0,
      1,
      255,
      256,
      65_535,
      65_536,
      0x00FF_FFFF_FFFFL,
      0x0100_0000_0000L,
      1_767_225_600_000L,
      Long.MAX_VALUE - 1,
      Long.MAX_VALUE
    };
    for (long a : edges) {
      for (long b : edges) {
        pairs.add(new long[] {a, b});
      }
    }
    Random r = new Random(5);
    for (int i = 0; i < 2_000; i++) {
      long a = r.nextLong() >> r.nextInt(64);
      pairs.add(new long[] {a, r.nextBoolean() ? a + r.nextInt(3) - 1 : r.nextLong()});
    }
    RedisCommands<byte[], byte[]> redis = connection.sync();
    for (int i = 0; i < pairs.size(); i++) {
      long first = pairs.get(i)[0];
      long second = pairs.get(i)[1];
      byte[] key = ("k" + i).getBytes(StandardCharsets.UTF_8);
      write(redis, key, value(first, 1));
      write(redis, key, value(second, 2));
      FeatureRow stored = CODEC.decode("e", redis.get(key));
      long want = Math.max(first, second);
      assertThat(stored.featureTs()).as("stored after %d then %d", first, second).isEqualTo(want);
      assertThat(stored.values()[0])
          .as("on a tie the second write wins (%d, %d)", first, second)
          .isEqualTo(second >= first ? 2L : 1L);
    }
  }

  @Test
  void a_value_of_another_format_version_is_replaced() {
    RedisCommands<byte[], byte[]> redis = connection.sync();
    byte[] key = "k".getBytes(StandardCharsets.UTF_8);
    byte[] foreign = value(Long.MAX_VALUE, 1);
    foreign[0] = 9;
    redis.set(key, foreign);
    write(redis, key, value(5, 2));
    assertThat(CODEC.decode("e", redis.get(key)).values()[0]).isEqualTo(2L);
  }

  @Test
  void a_newer_value_in_the_version_1_layout_is_replaced() {
    RedisCommands<byte[], byte[]> redis = connection.sync();
    byte[] key = "k".getBytes(StandardCharsets.UTF_8);
    byte[] old = value(Long.MAX_VALUE, 1);
    old[0] = 1;
    redis.set(key, old);
    write(redis, key, value(5, 2));
    FeatureRow stored = CODEC.decode("e", redis.get(key));
    assertThat(stored.featureTs()).isEqualTo(5);
    assertThat(stored.values()[0]).isEqualTo(2L);
  }

  @Test
  void writes_several_keys_in_one_call_and_answers_a_stamp_or_minus_one_per_key() {
    RedisCommands<byte[], byte[]> redis = connection.sync();
    byte[] a = "a".getBytes(StandardCharsets.UTF_8);
    byte[] b = "b".getBytes(StandardCharsets.UTF_8);
    write(redis, a, value(10, 1));
    List<Long> stamps =
        redis.evalsha(
            sha,
            ScriptOutputType.MULTI,
            new byte[][] {a, b},
            value(5, 2),
            FAR_FUTURE,
            value(5, 3),
            FAR_FUTURE);
    assertThat(stamps).hasSize(2);
    assertThat(stamps.get(0)).as("a holds a newer row").isEqualTo(-1);
    assertThat(stamps.get(1)).as("b is stored with the call's stamp").isPositive();
    assertThat(redis.pttl(b)).isPositive();
  }

  private static void write(RedisCommands<byte[], byte[]> redis, byte[] key, byte[] value) {
    redis.evalsha(sha, ScriptOutputType.MULTI, new byte[][] {key}, value, FAR_FUTURE);
  }

  private static byte[] value(long featureTs, long seq) {
    return CODEC.encode(new FeatureRow("e", featureTs, new Object[] {seq, null, null, null}));
  }
}
