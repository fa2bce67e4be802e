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
import java.io.IOException;
import java.time.Duration;

/**
 * Commits checkpoints of rows to an offline table through the offline store's {@link
 * OfflineWriter}, one transaction per committable (see {@link PostgresOfflineSink}).
 */
final class PostgresOfflineCommitter extends RowCommitter {
  private final OfflineWriter writer;

  PostgresOfflineCommitter(
      OfflineTable table,
      String jdbcUrl,
      int rowsPerStatement,
      Backoff backoff,
      Duration markerRetention) {
    super(
        Store.OFFLINE,
        "offline table " + table.qualifiedName(),
        RowCommittable.viewOf(table.plan()),
        backoff);
    this.writer = new OfflineWriter(table, jdbcUrl, rowsPerStatement, markerRetention);
  }

  @Override
  protected Outcome apply(RowCommittable committable) throws Exception {
    OfflineWriter.Outcome outcome =
        writer.apply(
            committable.rows(),
            marker(committable.id()),
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

  private static SinkCommits.Marker marker(CommitId id) {
    return new SinkCommits.Marker(id.jobId(), id.subtask(), id.checkpointId(), id.writerId());
  }

  @Override
  protected boolean isTransient(Exception e) {
    return OfflineWriter.isTransient(e);
  }

  @Override
  protected String explain(Exception e) {
    return writer.explain(e);
  }

  @Override
  protected void discardConnection() {
    writer.discardConnection();
  }

  @Override
  public void close() {
    writer.close();
  }
}
