package io.freshet.flink.sink;

import java.util.Objects;

/**
 * Names one committable for good: the job and writer subtask that prepared it, the checkpoint it
 * belongs to, and the writer's incarnation.
 *
 * <p>A committable replayed from a checkpoint carries the same id, so a store that recorded the id
 * with the rows recognises the replay. The writer id is drawn at random each time a writer starts,
 * so committables of different runs never share an id, even when a job restored from an older
 * savepoint keeps its job id and reuses checkpoint numbers.
 *
 * @param jobId the Flink job id, hex
 * @param subtask the index of the writer subtask that prepared the rows
 * @param checkpointId the checkpoint whose completion commits the rows; {@link #END_OF_INPUT} for
 *     the rows of a bounded input's end, {@link #UNSTAMPED} until the sink stamps it
 * @param writerId random per writer incarnation
 */
public record CommitId(String jobId, int subtask, long checkpointId, long writerId) {
  /** The checkpoint id of a committable that has not been stamped yet. */
  public static final long UNSTAMPED = -1;

  /** The checkpoint id Flink gives the rows prepared at the end of a bounded input. */
  public static final long END_OF_INPUT = Long.MAX_VALUE;

  public CommitId {
    Objects.requireNonNull(jobId, "jobId");
  }

  /** This id, belonging to the given checkpoint. */
  public CommitId withCheckpoint(long checkpoint) {
    return new CommitId(jobId, subtask, checkpoint, writerId);
  }

  @Override
  public String toString() {
    String checkpoint =
        checkpointId == END_OF_INPUT ? "end of input" : "checkpoint " + checkpointId;
    return checkpoint
        + " of subtask "
        + subtask
        + " (job "
        + jobId
        + ", writer "
        + Long.toHexString(writerId)
        + ")";
  }
}
