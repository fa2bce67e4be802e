package io.freshet.offline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The commit markers of the offline sinks: one row per committed checkpoint of a writer subtask,
 * written in the same transaction as that checkpoint's rows. "Are these rows in?" is then one
 * primary-key lookup, and a replay is recognised exactly.
 *
 * <pre>
 * freshet.sink_commits
 *   target        text         not null  -- the offline table, e.g. user_activity__1a2b3c4d5e
 *   job_id        text         not null  -- the Flink job that prepared the rows
 *   subtask       integer      not null  -- the writer subtask
 *   checkpoint_id bigint       not null  -- the checkpoint; 9223372036854775807 for end of input
 *   writer_id     bigint       not null  -- random per writer incarnation
 *   row_count     integer      not null  -- rows the committable held
 *   committed_at  timestamptz  not null  -- the transaction time, as committed_at of the rows
 *   primary key (target, job_id, subtask, checkpoint_id, writer_id)
 *   index sink_commits__age (target, committed_at)
 * </pre>
 *
 * <p>The marker is inserted first, with {@code ON CONFLICT DO NOTHING}: a second committer holding
 * the same committable (a zombie task) waits on the first one's row lock and then inserts nothing.
 * Markers older than a retention are deleted, by one committer at a time ({@link #purge}); a replay
 * older than that (a job restored from a very old savepoint) is still harmless for the latest rows,
 * because a row equal to the current version adds nothing.
 *
 * <p>The table and its index come from {@link FreshetSchema}'s migrations.
 */
public final class SinkCommits {
  /** The unqualified table name. */
  public static final String NAME = "sink_commits";

  /** The schema-qualified table name. */
  public static final String TABLE = OfflineTable.SCHEMA + "." + NAME;

  /** The unqualified name of the index by age. */
  public static final String AGE_INDEX = NAME + "__age";

  private static final String CLAIM =
      "INSERT INTO "
          + TABLE
          + " (target, job_id, subtask, checkpoint_id, writer_id, row_count)"
          + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

  private static final String PURGE =
      "DELETE FROM "
          + TABLE
          + " WHERE target = ? AND committed_at < now() - ? * interval '1 second'";

  /** One purge of a target's markers at a time; see {@link #purge}. */
  private static final String PURGE_LOCK =
      "SELECT pg_try_advisory_xact_lock(hashtext('" + TABLE + "'), hashtext(?))";

  private SinkCommits() {}

  /** Who prepared a committable: the primary key of its marker, less the target. */
  public record Marker(String jobId, int subtask, long checkpointId, long writerId) {}

  /**
   * Inserts the marker of a committable in the caller's transaction.
   *
   * @return false if the marker was there already: the rows are committed
   */
  public static boolean claim(Connection c, String target, Marker id, int rows)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(CLAIM)) {
      ps.setString(1, target);
      ps.setString(2, id.jobId());
      ps.setInt(3, id.subtask());
      ps.setLong(4, id.checkpointId());
      ps.setLong(5, id.writerId());
      ps.setInt(6, rows);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Deletes a target's markers older than the retention, in the caller's transaction, unless
   * another transaction is purging the same target's markers right now: that one deletes the same
   * rows, and this one deletes nothing.
   *
   * <p>Every subtask purges the same old markers (they are not its own; the markers of finished
   * jobs and of subtasks a rescale removed would otherwise stay). Two such DELETEs lock the same
   * rows, and in different orders whenever Postgres plans them differently, e.g. one walking the
   * age index in {@code committed_at} order and the other reading the heap in physical order, which
   * differs from it once VACUUM has reused the space of purged markers: each then waits for a row
   * the other already deleted ({@code deadlock detected ... while deleting tuple ... in relation
   * "sink_commits"}). A transaction-scoped advisory lock per target, taken without waiting, lets
   * one purge run at a time and the others skip, so purges never wait for each other at all.
   *
   * @return the markers deleted; 0 also when another transaction was purging them
   */
  public static int purge(Connection c, String target, Duration retention) throws SQLException {
    try (PreparedStatement lock = c.prepareStatement(PURGE_LOCK)) {
      lock.setString(1, target);
      try (ResultSet rs = lock.executeQuery()) {
        if (!rs.next() || !rs.getBoolean(1)) {
          return 0;
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement(PURGE)) {
      ps.setString(1, target);
      ps.setLong(2, retention.toSeconds());
      return ps.executeUpdate();
    }
  }
}
