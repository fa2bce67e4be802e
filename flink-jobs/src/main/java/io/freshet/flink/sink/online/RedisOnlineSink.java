package io.freshet.flink.sink.online;

import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.ExactlyOnceRowSink;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.online.NewestWinsScript;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.online.OnlineStoreUri;
import io.freshet.plan.ViewPlan;
import java.time.Duration;
import java.util.Objects;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;

/**
 * Writes each entity's newest row of a view to the Redis online table exactly once: the value of
 * {@link OnlineCodec} under the key of {@link OnlineKeys}, expiring at {@code feature_ts + ttl}.
 *
 * <p>Per checkpoint, a writer subtask keeps each entity's newest row. When the checkpoint
 * completes, the committer checks the commit marker of the committable, writes the rows with the
 * {@link NewestWinsScript} in pipelined batches, then sets the marker (see {@link
 * RedisOnlineCommitter}). Needs Redis 6.2 or newer.
 *
 * <p>The URI names one server ({@code redis://host:6379/0}) or a Redis Cluster ({@code
 * redis-cluster://host1:6379,host2:6379}); see {@link OnlineStoreUri}.
 */
public final class RedisOnlineSink extends ExactlyOnceRowSink {
  private static final long serialVersionUID = 1L;

  /** Rows per script call. */
  public static final int DEFAULT_ROWS_PER_SCRIPT = 100;

  /** How long a commit marker lives. */
  public static final Duration DEFAULT_MARKER_TTL = Duration.ofDays(1);

  private final String redisUri;
  private final int rowsPerScript;
  private final Backoff backoff;
  private final Duration markerTtl;

  private RedisOnlineSink(
      ViewPlan plan, String redisUri, int rowsPerScript, Backoff backoff, Duration markerTtl) {
    super(plan, Keep.NEWEST_PER_ENTITY);
    this.redisUri = Objects.requireNonNull(redisUri, "redisUri");
    try {
      OnlineClients.requireValid(redisUri);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "online sink of "
              + plan.name()
              + " needs a Redis URI (redis://host:6379/0), got '"
              + RedisOnlineCommitter.safe(redisUri)
              + "': "
              + e.getMessage()
              + " (a Redis Cluster: redis-cluster://host1:6379,host2:6379)",
          e);
    }
    if (rowsPerScript < 1) {
      throw new IllegalArgumentException(
          "rows per script call must be at least 1, got " + rowsPerScript + " (e.g. 100)");
    }
    if (markerTtl.toMillis() < 1) {
      throw new IllegalArgumentException(
          "commit marker TTL must be positive, got " + markerTtl + " (e.g. P1D)");
    }
    this.rowsPerScript = rowsPerScript;
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.markerTtl = markerTtl;
  }

  /** A sink committing at checkpoints, with default batch size, retries and marker TTL. */
  public static RedisOnlineSink exactlyOnce(ViewPlan plan, String redisUri) {
    return new RedisOnlineSink(
        plan, redisUri, DEFAULT_ROWS_PER_SCRIPT, Backoff.DEFAULT, DEFAULT_MARKER_TTL);
  }

  /** The same sink with another number of rows per script call. */
  public RedisOnlineSink withRowsPerScript(int rows) {
    return new RedisOnlineSink(plan(), redisUri, rows, backoff, markerTtl);
  }

  /** The same sink with other retries of transient errors. */
  public RedisOnlineSink withRetries(Backoff retries) {
    return new RedisOnlineSink(plan(), redisUri, rowsPerScript, retries, markerTtl);
  }

  /** The same sink keeping commit markers for another duration. */
  public RedisOnlineSink withMarkerTtl(Duration ttl) {
    return new RedisOnlineSink(plan(), redisUri, rowsPerScript, backoff, ttl);
  }

  @Override
  public Committer<RowCommittable> createCommitter(CommitterInitContext context) {
    return new RedisOnlineCommitter(plan(), redisUri, rowsPerScript, backoff, markerTtl);
  }
}
