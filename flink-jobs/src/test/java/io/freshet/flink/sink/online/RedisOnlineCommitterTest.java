package io.freshet.flink.sink.online;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.CommitId;
import io.freshet.flink.sink.CommitterContractTest;
import io.freshet.flink.sink.ExactlyOnceRowSink;
import io.freshet.flink.sink.RecordingCommitRequest;
import io.freshet.flink.sink.RecordingCommitRequest.Signal;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.flink.sink.StoreContents;
import io.freshet.online.OnlineKeys;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.connector.sink2.Committer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RedisOnlineCommitterTest extends CommitterContractTest {
  private static final int DB = 5;
  private static RedisURI server;
  private static RedisClient admin;
  private static StatefulRedisConnection<String, String> redis;

  @BeforeAll
  static void connect() {
    server = RedisURI.create(TestRedis.uri(DB));
    admin = RedisClient.create(server);
    redis = admin.connect();
  }

  @AfterAll
  static void disconnect() {
    redis.sync().flushdb();
    redis.close();
    admin.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  @Override
  protected ExactlyOnceRowSink sink(String host, int port, Backoff retries, int batch) {
    return RedisOnlineSink.exactlyOnce(PLAN, "redis://" + host + ":" + port + "/" + DB)
        .withRowsPerScript(batch)
        .withRetries(retries);
  }

  @Override
  protected String storeHost() {
    return server.getHost();
  }

  @Override
  protected int storePort() {
    return server.getPort();
  }

  @Override
  protected void resetStore() {
    redis.sync().flushdb();
  }

  @Override
  protected Map<Object, FeatureRow> stored() {
    return new HashMap<>(StoreContents.online(TestRedis.uri(DB), PLAN));
  }

  @Override
  protected Map<Object, FeatureRow> expected(List<FeatureRow> rows) {
    Map<Object, FeatureRow> newest = new HashMap<>();
    for (FeatureRow r : rows) {
      FeatureRow old = (FeatureRow) newest.get(r.entityKey());
      if (old == null || old.featureTs() <= r.featureTs()) {
        newest.put(r.entityKey(), r);
      }
    }
    return newest;
  }

  @Override
  protected int openSessions() {
    // The server is shared with other tests; Lettuce threads of this JVM are checked instead.
    return 0;
  }

  @Override
  protected String breakPermanently() {
    FeatureRow first = data.row(0);
    redis.sync().hset(OnlineKeys.key(PLAN, first.entityKey()), "not", "a string");
    return "WRONGTYPE";
  }

  @Test
  void an_older_row_never_overwrites_a_newer_one() throws Exception {
    Committer<RowCommittable> committer = committer();
    FeatureRow newer = row("u", 200, 1L);
    RecordingCommitRequest.commit(committer, committable(1, List.of(newer)));
    RecordingCommitRequest.commit(committer, committable(2, List.of(row("u", 100, 2L))));
    assertThat(stored()).containsOnly(Map.entry("u", newer));

    FeatureRow sameWindowLater = row("u", 200, 3L);
    RecordingCommitRequest.commit(committer, committable(3, List.of(sameWindowLater)));
    assertThat(stored())
        .as("a later update of the same window wins")
        .containsOnly(Map.entry("u", sameWindowLater));

    FeatureRow next = row("u", 300, 4L);
    RecordingCommitRequest.commit(committer, committable(4, List.of(next)));
    assertThat(stored()).containsOnly(Map.entry("u", next));
  }

  @Test
  void keys_expire_at_feature_ts_plus_ttl_and_expired_rows_are_not_written() throws Exception {
    long now = System.currentTimeMillis();
    long ttl = PLAN.ttl().toMillis();
    FeatureRow live = new FeatureRow("live", now - 60_000, new Object[] {1L, null, null, null});
    FeatureRow dead = new FeatureRow("dead", now - ttl - 1, new Object[] {2L, null, null, null});
    RecordingCommitRequest.commit(committer(), committable(1, List.of(live, dead)));
    long expiresAt = now - 60_000 + ttl;
    long pttl = redis.sync().pttl(OnlineKeys.key(PLAN, "live"));
    assertThat(System.currentTimeMillis() + pttl).isBetween(expiresAt - 5_000, expiresAt + 5_000);
    assertThat(redis.sync().exists(OnlineKeys.key(PLAN, "dead"))).isZero();
  }

  @Test
  void a_replay_whose_marker_expired_leaves_every_key_as_it_was() throws Exception {
    Committer<RowCommittable> committer = committer();
    RowCommittable first = committable(1, rows(0, 500));
    RowCommittable second = committable(2, rows(500, 1000));
    RecordingCommitRequest.commit(committer, first);
    RecordingCommitRequest.commit(committer, second);
    Map<Object, FeatureRow> before = stored();
    redis.sync().keys("freshet:commit:*").forEach(k -> redis.sync().del(k));
    assertThat(RecordingCommitRequest.commit(committer, second)).isEqualTo(Signal.COMMITTED);
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  void markers_carry_a_cluster_hash_tag_and_expire() throws Exception {
    RowCommittable c = committable(42, rows(0, 10));
    RecordingCommitRequest.commit(committer(), c);
    String key =
        "freshet:commit:{"
            + RowCommittable.viewOf(PLAN)
            + ":0}:"
            + JOB
            + ":42:"
            + Long.toHexString(c.id().writerId());
    assertThat(redis.sync().keys("freshet:commit:*")).containsExactly(key);
    assertThat(redis.sync().get(key)).isEqualTo(Integer.toString(c.rows().size()));
    assertThat(redis.sync().pttl(key))
        .isBetween(
            RedisOnlineSink.DEFAULT_MARKER_TTL.toMillis() - 60_000,
            RedisOnlineSink.DEFAULT_MARKER_TTL.toMillis());
    assertThat(new String(RedisOnlineCommitter.markerKey(c.view(), c.id()), "UTF-8"))
        .isEqualTo(key);
    assertThat(c.id()).isEqualTo(new CommitId(JOB, 0, 42, c.id().writerId()));
  }

  @Test
  void error_codes_are_read_through_script_errors() {
    assertThat(RedisOnlineCommitter.errorCode("LOADING Redis is loading the dataset"))
        .isEqualTo("LOADING");
    assertThat(
            RedisOnlineCommitter.errorCode(
                "ERR Error running script (call to f_1): @user_script:17: WRONGTYPE Operation"
                    + " against a key holding the wrong kind of value"))
        .isEqualTo("WRONGTYPE");
    assertThat(RedisOnlineCommitter.errorCode("NOSCRIPT No matching script")).isEqualTo("NOSCRIPT");
  }

  @Test
  void socket_errors_of_a_dropped_connection_are_waited_out() throws Exception {
    RedisOnlineCommitter committer = (RedisOnlineCommitter) committer();
    assertThat(committer.isTransient(new ClosedChannelException()))
        .as("a pipelined flush that reached a channel closed after the commands were queued")
        .isTrue();
    assertThat(committer.isTransient(new SocketException("Connection reset")))
        .as("a reset while replies were pending")
        .isTrue();
    assertThat(committer.isTransient(new RedisException("Connection closed"))).isTrue();
    assertThat(
            committer.isTransient(
                new RedisCommandExecutionException(
                    "WRONGTYPE Operation against a key holding the wrong kind of value")))
        .as("an error reply no wait fixes")
        .isFalse();
    assertThat(committer.isTransient(new IOException("injected")))
        .as("an I/O error of no socket")
        .isFalse();
  }

  private static FeatureRow row(String entity, long minute, long seq) {
    return new FeatureRow(
        entity, 1_767_225_600_000L + minute * 60_000, new Object[] {seq, 2.5, "web", List.of()});
  }
}
