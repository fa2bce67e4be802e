package io.freshet.flink.sink.offline;

import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.CommitFaults.Point;
import io.freshet.flink.sink.CommitFaults.Store;
import io.freshet.flink.sink.CommitId;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.flink.sink.RowCommitter;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.OfflineWriter;
import io.freshet.offline.SinkCommits;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineStoreErrors;
import io.freshet.online.OnlineWriter;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.StoreUrls;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Commits checkpoints of rows to an offline table through the offline store's {@link
 * OfflineWriter}, one transaction per committable (see {@link PostgresOfflineSink}); when the sink
 * also serves the rows online ({@link PostgresOfflineSink#servingOnline}), it writes them online
 * first:
 *
 * <ol>
 *   <li>If the offline commit marker of the committable is in, everything is: done.
 *   <li>Write each entity's newest row of the committable online ({@link
 *       OnlineWriter#writeStamped}); the store answers, per row, the instant from which it serves
 *       it, or -1 if it holds a newer row. The committable's other rows of that entity are never
 *       served (-1): the online table only ever held the newest.
 *   <li>Write the rows with those instants ({@code visible_at}) and the marker offline, in one
 *       transaction.
 * </ol>
 *
 * <p>A commit cut off anywhere is completed by its replay: the online write of a row already stored
 * changes nothing and returns the instant it was first stored, so the offline history gets the
 * instants the gateway really started serving from, and the offline transaction either happened
 * whole (marker found) or not at all.
 */
final class PostgresOfflineCommitter extends RowCommitter {
  /** What {@link OnlineWriter#writeStamped} answers for a row that is never served. */
  private static final long NEVER_SERVED = -1;

  /** The {@code CLIENT SETNAME} of the online connections of the committers serving rows. */
  static final String CLIENT_NAME = "freshet-row-sink";

  private static final OnlineClients.Settings CLIENT =
      new OnlineClients.Settings(Duration.ofSeconds(10), Duration.ofSeconds(5), CLIENT_NAME, false);

  private final OfflineWriter writer;
  private final OnlineWriter online;
  private final int rowsPerScript;

  PostgresOfflineCommitter(
      OfflineTable table,
      String jdbcUrl,
      int rowsPerStatement,
      Backoff backoff,
      Duration markerRetention,
      String redisUri,
      int rowsPerScript) {
    super(
        Store.OFFLINE,
        (redisUri == null ? "" : "Redis " + StoreUrls.redact(redisUri) + " and ")
            + "offline table "
            + table.qualifiedName(),
        RowCommittable.viewOf(table.plan()),
        backoff);
    this.writer = new OfflineWriter(table, jdbcUrl, rowsPerStatement, markerRetention);
    this.online = redisUri == null ? null : OnlineWriter.create(table.plan(), redisUri, CLIENT);
    this.rowsPerScript = rowsPerScript;
  }

  @Override
  protected Outcome apply(RowCommittable committable) throws Exception {
    SinkCommits.Marker marker = marker(committable.id());
    long[] visible = null;
    if (online != null) {
      if (writer.hasMarker(marker)) {
        return Outcome.ALREADY_COMMITTED;
      }
      visible = writeOnline(committable.rows());
      reached(Point.BETWEEN_STORES, committable);
    }
    OfflineWriter.Outcome outcome =
        writer.apply(
            committable.rows(),
            visible,
            marker,
            new OfflineWriter.Progress() {
              @Override
              public void beforeBatch() throws InterruptedException {
                if (Thread.currentThread().isInterrupted()) {
                  throw new InterruptedException("interrupted while committing " + committable);
                }
              }

              @Override
              public void halfWritten() throws IOException {
                reached(Point.MID_APPLY, committable);
              }
            });
    return switch (outcome) {
      case APPLIED -> Outcome.APPLIED;
      case ALREADY_COMMITTED -> Outcome.ALREADY_COMMITTED;
    };
  }

  /**
   * Writes each entity's newest row online and returns, per row of {@code rows}, the instant the
   * store serves it from, or -1.
   */
  private long[] writeOnline(List<FeatureRow> rows) throws Exception {
    long[] visible = new long[rows.size()];
    Arrays.fill(visible, NEVER_SERVED);
    Map<String, Integer> newest = new LinkedHashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      newest.merge(
          rows.get(i).entityKey(),
          i,
          (old, now) -> rows.get(now).featureTs() >= rows.get(old).featureTs() ? now : old);
    }
    Map<FeatureRow, Integer> indexOf = new IdentityHashMap<>();
    List<FeatureRow> toWrite = new ArrayList<>(newest.size());
    for (int i : newest.values()) {
      indexOf.put(rows.get(i), i);
      toWrite.add(rows.get(i));
    }
    List<List<FeatureRow>> batches =
        online.batches(toWrite, System.currentTimeMillis(), rowsPerScript);
    List<long[]> stamps = online.writeStamped(batches);
    for (int b = 0; b < batches.size(); b++) {
      List<FeatureRow> batch = batches.get(b);
      for (int i = 0; i < batch.size(); i++) {
        visible[indexOf.get(batch.get(i))] = stamps.get(b)[i];
      }
    }
    return visible;
  }

  private static SinkCommits.Marker marker(CommitId id) {
    return new SinkCommits.Marker(id.jobId(), id.subtask(), id.checkpointId(), id.writerId());
  }

  @Override
  protected boolean isTransient(Exception e) {
    return online != null && OnlineStoreErrors.isStoreFailure(e)
        ? OnlineStoreErrors.isTransient(e)
        : OfflineWriter.isTransient(e);
  }

  @Override
  protected String explain(Exception e) {
    if (online != null && OnlineStoreErrors.isStoreFailure(e)) {
      return "online store: " + OnlineStoreErrors.explain(e);
    }
    return (online == null ? "" : "offline store: ") + writer.explain(e);
  }

  @Override
  protected void discardConnection() {
    if (online != null) {
      online.disconnect();
    }
    writer.discardConnection();
  }

  @Override
  public void close() {
    try {
      if (online != null) {
        online.close();
      }
    } finally {
      writer.close();
    }
  }
}
