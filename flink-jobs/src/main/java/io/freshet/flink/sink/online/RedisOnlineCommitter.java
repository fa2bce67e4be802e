package io.freshet.flink.sink.online;

import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.CommitFaults.Point;
import io.freshet.flink.sink.CommitFaults.Store;
import io.freshet.flink.sink.CommitId;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.flink.sink.RowCommitter;
import io.freshet.online.NewestWinsScript;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineKeys;
import io.freshet.online.OnlineStoreErrors;
import io.freshet.online.OnlineStoreUri;
import io.freshet.online.OnlineWriter;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.StoreUrls;
import java.time.Duration;
import java.util.List;

/**
 * Commits checkpoints of rows to the Redis online table:
 *
 * <ol>
 *   <li>{@code EXISTS} the committable's marker, {@link OnlineKeys#commitMarker}; if it is there,
 *       the rows are in.
 *   <li>Write the rows with the {@link NewestWinsScript}, a batch of keys per call, all calls
 *       pipelined.
 *   <li>{@code SET} the marker, expiring after the marker TTL.
 * </ol>
 *
 * <p>Rows and marker are not one atomic step, and need not be. Every row write is atomic per key
 * and only moves a key forward (greater feature_ts wins; an equal one is the same window, and a
 * replay carries the same values). Flink commits a subtask's committables in checkpoint order and
 * replays the restored ones before committing anything newer, so replaying rows that are already in
 * leaves every key as it was. A commit cut off between two calls is completed by its replay; the
 * marker only spares a replay the work.
 *
 * <p>The same holds on a Redis Cluster ({@code redis-cluster://}, see {@link OnlineStoreUri}),
 * where one script call may only hold keys of one slot; the {@link OnlineWriter} groups the rows by
 * slot and Lettuce routes each call to the master of its slot. The marker lives in the slot of its
 * own tag, usually on another node than the rows: that is no loss, since the marker only saves
 * work. The script is loaded on every master.
 *
 * <p>Rows whose {@code feature_ts + ttl} has passed are not written: they would expire at once.
 */
final class RedisOnlineCommitter extends RowCommitter {
  /** The {@code CLIENT SETNAME} of the committers' connections. */
  static final String CLIENT_NAME = "freshet-online-sink";

  /**
   * A command may take 10 s, a connect 5 s; a broken connection is replaced by the retry loop, at
   * its pace.
   */
  private static final OnlineClients.Settings CLIENT =
      new OnlineClients.Settings(Duration.ofSeconds(10), Duration.ofSeconds(5), CLIENT_NAME, false);

  private final OnlineWriter writer;
  private final int rowsPerScript;
  private final Duration markerTtl;

  RedisOnlineCommitter(
      ViewPlan plan, String redisUri, int rowsPerScript, Backoff backoff, Duration markerTtl) {
    super(Store.ONLINE, "Redis " + safe(redisUri), RowCommittable.viewOf(plan), backoff);
    this.writer = OnlineWriter.create(plan, redisUri, CLIENT);
    this.rowsPerScript = rowsPerScript;
    this.markerTtl = markerTtl;
  }

  /** The marker key of a committable; the hash tag keeps a subtask's markers in one slot. */
  static byte[] markerKey(String view, CommitId id) {
    return OnlineKeys.commitMarker(
        view, id.subtask(), id.jobId(), id.checkpointId(), id.writerId());
  }

  @Override
  protected Outcome apply(RowCommittable committable) throws Exception {
    byte[] marker = markerKey(committable.view(), committable.id());
    if (writer.hasMarker(marker)) {
      return Outcome.ALREADY_COMMITTED;
    }
    List<List<FeatureRow>> batches =
        writer.batches(committable.rows(), System.currentTimeMillis(), rowsPerScript);
    int half = (batches.size() + 1) / 2;
    writer.write(batches.subList(0, half));
    reached(Point.MID_APPLY, committable);
    writer.write(batches.subList(half, batches.size()));
    writer.setMarker(marker, committable.rows().size(), markerTtl);
    return Outcome.APPLIED;
  }

  /** See {@link OnlineStoreErrors#isTransient}. */
  @Override
  protected boolean isTransient(Exception e) {
    return OnlineStoreErrors.isTransient(e);
  }

  @Override
  protected String explain(Exception e) {
    return OnlineStoreErrors.explain(e);
  }

  /** See {@link OnlineStoreErrors#errorCode}. */
  static String errorCode(String message) {
    return OnlineStoreErrors.errorCode(message);
  }

  @Override
  protected void discardConnection() {
    writer.disconnect();
  }

  @Override
  public void close() {
    writer.close();
  }

  /** A Redis URI without its password, for messages. */
  static String safe(String uri) {
    return StoreUrls.redact(uri);
  }
}
