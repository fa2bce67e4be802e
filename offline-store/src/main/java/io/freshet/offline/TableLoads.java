package io.freshet.offline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * The loads of table-sourced views: which range of a view version's source rows has been
 * materialized, and so where the next incremental load starts.
 *
 * <pre>
 * freshet.table_loads
 *   view_name    text         not null
 *   version_tag  text         not null
 *   loaded_from  bigint                  -- exclusive bound, epoch ms; null: from the beginning
 *   loaded_to    bigint       not null   -- inclusive bound, epoch ms
 *   row_count    bigint       not null   -- rows the load read
 *   started_at   timestamptz  not null
 *   finished_at  timestamptz  not null
 * </pre>
 *
 * <p>A load is recorded only after its rows are committed to both stores; the high-water mark is
 * the greatest {@code loaded_to}. A load that failed left no record, so the next one covers its
 * range again, and the stores take the rows they already hold as no change (a row equal to the
 * current version adds nothing offline; online the newest version wins). The table comes from
 * {@link FreshetSchema}'s migrations.
 */
public final class TableLoads {
  /** The schema-qualified table name. */
  public static final String TABLE = OfflineTable.SCHEMA + ".table_loads";

  private TableLoads() {}

  /** The high-water mark of a view version: the end of its last successful load, if any. */
  public static OptionalLong highWaterMark(Connection c, String view, String versionTag)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT max(loaded_to) FROM " + TABLE + " WHERE view_name = ? AND version_tag = ?")) {
      s.setString(1, view);
      s.setString(2, versionTag);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        long v = rs.getLong(1);
        return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(v);
      }
    }
  }

  /**
   * Records a successful load of {@code (from, to]}; {@code from} null for "from the beginning".
   */
  public static void record(
      Connection c,
      String view,
      String versionTag,
      Long from,
      long to,
      long rowCount,
      Instant startedAt)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO "
                + TABLE
                + " (view_name, version_tag, loaded_from, loaded_to, row_count, started_at)"
                + " VALUES (?, ?, ?, ?, ?, ?)")) {
      s.setString(1, view);
      s.setString(2, versionTag);
      if (from == null) {
        s.setNull(3, java.sql.Types.BIGINT);
      } else {
        s.setLong(3, from);
      }
      s.setLong(4, to);
      s.setLong(5, rowCount);
      s.setTimestamp(6, Timestamp.from(startedAt));
      s.executeUpdate();
    }
  }

  /** The database's clock in epoch milliseconds: the default end of a load. */
  public static long databaseNow(Connection c) throws SQLException {
    try (PreparedStatement s =
            c.prepareStatement(
                "SELECT floor(extract(epoch from clock_timestamp()) * 1000)::bigint");
        ResultSet rs = s.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
