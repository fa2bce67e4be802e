package io.freshet.flink.sink;

import java.security.SecureRandom;
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
import org.apache.flink.util.function.SerializableSupplier;

/**
 * What every exactly-once sink of Freshet sets up around its writer and committer (Sink V2): a
 * writer with a fresh {@link CommitId} per subtask, the committable serializer, and the step behind
 * the writer that stamps each committable with the id of the checkpoint it belongs to, so stores
 * record the real checkpoint number. Its name and uid ({@code stamp checkpoint}, {@code
 * stamp-checkpoint}) and its chain of its own are part of every such sink's job graph.
 *
 * @param <IN> what the sink receives
 * @param <C> what its writer hands over at a checkpoint
 */
public abstract class CheckpointSink<IN, C extends BatchCommittable<?, C>>
    implements Sink<IN>, SupportsCommitter<C>, SupportsPreCommitTopology<C, C> {
  private static final long serialVersionUID = 1L;

  /** A writer that hands over its committables under {@code id}, not yet stamped. */
  protected abstract SinkWriter<IN> newWriter(CommitId id);

  /** Makes the serializer of the committables, the one their layout in checkpoints is fixed by. */
  protected abstract SerializableSupplier<SimpleVersionedSerializer<C>> committableSerializers();

  @Override
  public SinkWriter<IN> createWriter(WriterInitContext context) {
    return newWriter(
        new CommitId(
            context.getJobInfo().getJobId().toHexString(),
            context.getTaskInfo().getIndexOfThisSubtask(),
            CommitId.UNSTAMPED,
            new SecureRandom().nextLong()));
  }

  @Override
  public final SimpleVersionedSerializer<C> getCommittableSerializer() {
    return committableSerializers().get();
  }

  @Override
  public final SimpleVersionedSerializer<C> getWriteResultSerializer() {
    return committableSerializers().get();
  }

  @Override
  public final DataStream<CommittableMessage<C>> addPreCommitTopology(
      DataStream<CommittableMessage<C>> committables) {
    return committables
        .map(new StampCheckpoint<C>(), CommittableMessageTypeInfo.of(committableSerializers()))
        .name("stamp checkpoint")
        .uid("stamp-checkpoint")
        // The committer commits (store round trips) in its task's mailbox when a checkpoint
        // completes; in a chain of its own that wait no longer holds up the window or tile
        // operator, whose next barrier and records would queue behind it. Chaining is not part
        // of the state: uids and exactly-once commits are unchanged.
        .startNewChain();
  }

  /** Writes the checkpoint id Flink attached to a committable into the committable itself. */
  static final class StampCheckpoint<C extends BatchCommittable<?, C>>
      implements MapFunction<CommittableMessage<C>, CommittableMessage<C>> {
    private static final long serialVersionUID = 1L;

    @Override
    public CommittableMessage<C> map(CommittableMessage<C> message) {
      if (message instanceof CommittableWithLineage<C> c) {
        long checkpoint = c.getCheckpointId();
        return c.map(committable -> committable.withCheckpoint(checkpoint));
      }
      return message;
    }
  }
}
