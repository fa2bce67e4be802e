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
import io.freshet.storage.FeatureRow;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

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
  private final boolean restoredOnly;

  private RedisOnlineSink(
      ViewPlan plan, String redisUri, int rowsPerScript, Backoff backoff, Duration markerTtl) {
    this(plan, redisUri, rowsPerScript, backoff, markerTtl, false);
  }

  private RedisOnlineSink(
      ViewPlan plan,
      String redisUri,
      int rowsPerScript,
      Backoff backoff,
      Duration markerTtl,
      boolean restoredOnly) {
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
    this.restoredOnly = restoredOnly;
  }

  /** A sink committing at checkpoints, with default batch size, retries and marker TTL. */
  public static RedisOnlineSink exactlyOnce(ViewPlan plan, String redisUri) {
    return new RedisOnlineSink(
        plan, redisUri, DEFAULT_ROWS_PER_SCRIPT, Backoff.DEFAULT, DEFAULT_MARKER_TTL);
  }

  /** The same sink with another number of rows per script call. */
  public RedisOnlineSink withRowsPerScript(int rows) {
    return new RedisOnlineSink(plan(), redisUri, rows, backoff, markerTtl, restoredOnly);
  }

  /** The same sink with other retries of transient errors. */
  public RedisOnlineSink withRetries(Backoff retries) {
    return new RedisOnlineSink(plan(), redisUri, rowsPerScript, retries, markerTtl, restoredOnly);
  }

  /** The same sink keeping commit markers for another duration. */
  public RedisOnlineSink withMarkerTtl(Duration ttl) {
    return new RedisOnlineSink(plan(), redisUri, rowsPerScript, backoff, ttl, restoredOnly);
  }

  /**
   * The same sink, keeping only its place in the job for the state of savepoints taken before the
   * rows sink served the online table ({@code PostgresOfflineSink.servingOnline}): its writer drops
   * every row, and its committer commits only the committables restored from such a savepoint, as
   * before. The job keeps this sink's uid so that those savepoints restore without dropping state.
   */
  public RedisOnlineSink restoredOnly() {
    return new RedisOnlineSink(plan(), redisUri, rowsPerScript, backoff, markerTtl, true);
  }

  /** Whether this sink only commits restored committables ({@link #restoredOnly}). */
  public boolean isRestoredOnly() {
    return restoredOnly;
  }

  @Override
  public SinkWriter<FeatureRow> createWriter(WriterInitContext context) {
    return restoredOnly ? new DroppingWriter() : super.createWriter(context);
  }

  /** The writer of {@link #restoredOnly}: drops every row, hands over no committables. */
  private static final class DroppingWriter
      implements CommittingSinkWriter<FeatureRow, RowCommittable> {
    @Override
    public void write(FeatureRow row, Context context) {}

    @Override
    public void flush(boolean endOfInput) {}

    @Override
    public Collection<RowCommittable> prepareCommit() {
      return List.of();
    }

    @Override
    public void close() {}
  }

  @Override
  public Committer<RowCommittable> createCommitter(CommitterInitContext context) {
    return new RedisOnlineCommitter(plan(), redisUri, rowsPerScript, backoff, markerTtl);
  }
}
