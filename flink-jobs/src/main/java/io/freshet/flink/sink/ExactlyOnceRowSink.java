package io.freshet.flink.sink;

import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.security.SecureRandom;
import java.util.Objects;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessageTypeInfo;
import org.apache.flink.streaming.api.connector.sink2.CommittableWithLineage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPreCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * A sink that writes a view's rows to a store exactly once, driven by Flink's checkpoints (Sink V2
 * with a committer).
 *
 * <ol>
 *   <li>The writer keeps the rows that arrive between two checkpoints in memory ({@link
 *       CheckpointRowWriter}); at the barrier it hands them over as one {@link RowCommittable},
 *       which Flink stores in the checkpoint.
 *   <li>A step chained behind the writer stamps each committable with the id of the checkpoint it
 *       belongs to, so stores record the real checkpoint number.
 *   <li>When the checkpoint completes, the committer writes the rows together with a marker of the
 *       committable's {@link CommitId}. After a failure Flink restores the committables of the last
 *       completed checkpoint and commits them again; the committer finds the marker and skips them
 *       ({@code signalAlreadyCommitted}).
 * </ol>
 *
 * <p>Memory: a writer holds one checkpoint interval of rows, and the committer's state holds them
 * until they are committed; size the checkpoint interval accordingly. The sink needs a uid.
 */
public abstract class ExactlyOnceRowSink
    implements Sink<FeatureRow>,
        SupportsCommitter<RowCommittable>,
        SupportsPreCommitTopology<RowCommittable, RowCommittable> {
  private static final long serialVersionUID = 1L;

  /** Which of a checkpoint's rows a store needs. */
  public enum Keep {
    /**
     * The last row per (entity, feature_ts): a window updated twice between two checkpoints was
     * only ever committed with its second value.
     */
    LAST_PER_WINDOW,
    /**
     * Per entity, the row with the greatest feature_ts, the last of them on a tie: the online table
     * holds nothing else.
     */
    NEWEST_PER_ENTITY
  }

  private final ViewPlan plan;
  private final Keep keep;

  protected ExactlyOnceRowSink(ViewPlan plan, Keep keep) {
    this.plan = Objects.requireNonNull(plan, "plan");
    this.keep = Objects.requireNonNull(keep, "keep");
  }

  public ViewPlan plan() {
    return plan;
  }

  /** Which of a checkpoint's rows this sink keeps. */
  Keep keep() {
    return keep;
  }

  @Override
  public SinkWriter<FeatureRow> createWriter(WriterInitContext context) {
    CommitId id =
        new CommitId(
            context.getJobInfo().getJobId().toHexString(),
            context.getTaskInfo().getIndexOfThisSubtask(),
            CommitId.UNSTAMPED,
            new SecureRandom().nextLong());
    return new CheckpointRowWriter(RowCommittable.viewOf(plan), keep, id);
  }

  @Override
  public SimpleVersionedSerializer<RowCommittable> getCommittableSerializer() {
    return new RowCommittableSerializer();
  }

  @Override
  public SimpleVersionedSerializer<RowCommittable> getWriteResultSerializer() {
    return new RowCommittableSerializer();
  }

  @Override
  public DataStream<CommittableMessage<RowCommittable>> addPreCommitTopology(
      DataStream<CommittableMessage<RowCommittable>> committables) {
    return committables
        .map(new StampCheckpoint(), CommittableMessageTypeInfo.of(RowCommittableSerializer::new))
        .name("stamp checkpoint")
        .uid("stamp-checkpoint")
        // The committer commits (store round trips) in its task's mailbox when a checkpoint
        // completes; in a chain of its own that wait no longer holds up the window or tile
        // operator, whose next barrier and records would queue behind it. Chaining is not part
        // of the state: uids and exactly-once commits are unchanged.
        .startNewChain();
  }

  /** Writes the checkpoint id Flink attached to a committable into the committable itself. */
  static final class StampCheckpoint
      implements MapFunction<
          CommittableMessage<RowCommittable>, CommittableMessage<RowCommittable>> {
    private static final long serialVersionUID = 1L;

    @Override
    public CommittableMessage<RowCommittable> map(CommittableMessage<RowCommittable> message) {
      if (message instanceof CommittableWithLineage<RowCommittable> c) {
        long checkpoint = c.getCheckpointId();
        return c.map(committable -> committable.withCheckpoint(checkpoint));
      }
      return message;
    }
  }
}
