package io.freshet.flink.sink;

import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.util.Objects;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.util.function.SerializableSupplier;

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
public abstract class ExactlyOnceRowSink extends CheckpointSink<FeatureRow, RowCommittable> {
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
  protected SinkWriter<FeatureRow> newWriter(CommitId id) {
    return new CheckpointRowWriter(RowCommittable.viewOf(plan), keep, id);
  }

  @Override
  protected SerializableSupplier<SimpleVersionedSerializer<RowCommittable>>
      committableSerializers() {
    return RowCommittableSerializer::new;
  }
}
