package io.freshet.flink.sink;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.connector.sink2.Committer;

/** A commit request as Flink hands it over, remembering what the committer signalled. */
public final class RecordingCommitRequest<C> implements Committer.CommitRequest<C> {
  /** What the committer said about the request; COMMITTED if it returned without a signal. */
  public enum Signal {
    COMMITTED,
    ALREADY_COMMITTED,
    FAILED_KNOWN,
    FAILED_UNKNOWN,
    RETRY_LATER
  }

  private final C committable;
  private Signal signal = Signal.COMMITTED;

  public RecordingCommitRequest(C committable) {
    this.committable = committable;
  }

  /** Commits one committable as Flink would and returns what the committer signalled. */
  public static <C> Signal commit(Committer<C> committer, C committable) throws Exception {
    RecordingCommitRequest<C> request = new RecordingCommitRequest<>(committable);
    Collection<Committer.CommitRequest<C>> requests = new ArrayList<>(List.of(request));
    committer.commit(requests);
    return request.signal;
  }

  @Override
  public C getCommittable() {
    return committable;
  }

  @Override
  public int getNumberOfRetries() {
    return 0;
  }

  @Override
  public void signalFailedWithKnownReason(Throwable t) {
    signal = Signal.FAILED_KNOWN;
  }

  @Override
  public void signalFailedWithUnknownReason(Throwable t) {
    signal = Signal.FAILED_UNKNOWN;
  }

  @Override
  public void retryLater() {
    signal = Signal.RETRY_LATER;
  }

  @Override
  public void updateAndRetryLater(C committable) {
    signal = Signal.RETRY_LATER;
  }

  @Override
  public void signalAlreadyCommitted() {
    signal = Signal.ALREADY_COMMITTED;
  }
}
