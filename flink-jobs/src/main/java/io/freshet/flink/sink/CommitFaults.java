package io.freshet.flink.sink;

import java.io.IOException;
import org.apache.flink.annotation.VisibleForTesting;

/**
 * A seam for failure-injection tests, and nothing else: a test installs a hook that throws at a
 * chosen point of a commit, as a crash at that point would. No production code installs one; with
 * none installed, each point costs one volatile read.
 */
@VisibleForTesting
public final class CommitFaults {
  /** Where a commit is. */
  public enum Point {
    /** The committable arrived; nothing is written yet. */
    BEFORE_APPLY,
    /**
     * About half of the rows are written but not yet durable as a whole; for tiles, the online
     * store has them and the offline transaction has not begun.
     */
    MID_APPLY,
    /**
     * The rows sink serving its rows online ({@code PostgresOfflineSink.servingOnline}): the online
     * store serves the committable's rows with their instants and the offline transaction has not
     * begun. Reached once per attempt; a committer writing one store never reaches it.
     */
    BETWEEN_STORES,
    /** Everything is written and durable; Flink does not know yet. */
    AFTER_APPLY,
    /** The store already had the committable: a replay, skipped. Informational. */
    ALREADY_COMMITTED
  }

  /** Which store a committer writes. */
  public enum Store {
    OFFLINE,
    ONLINE,
    /** Both, for the tiles of a request-time view: online first, then offline. */
    TILES
  }

  /** Called at each point of each commit; throwing fails the commit there. */
  @FunctionalInterface
  public interface Hook {
    void reached(Store store, Point point, CheckpointCommittable committable) throws IOException;
  }

  private static volatile Hook hook;

  private CommitFaults() {}

  /** Installs a hook for every committer in this JVM. */
  public static void install(Hook h) {
    hook = h;
  }

  /** Removes the hook. */
  public static void uninstall() {
    hook = null;
  }

  /** Reports that a commit reached a point. */
  public static void reached(Store store, Point point, CheckpointCommittable committable)
      throws IOException {
    Hook h = hook;
    if (h != null) {
      h.reached(store, point, committable);
    }
  }
}
