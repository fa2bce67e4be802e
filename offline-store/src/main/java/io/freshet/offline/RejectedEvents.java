package io.freshet.offline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import javax.sql.DataSource;

/**
 * Dead letters and late events, one row per event and view. The origin ({@code
 * topic/partition@offset}) is unique per record, so a replay inserts nothing twice.
 *
 * <pre>
 * freshet.rejected_events
 *   view_name   text        not null  -- the view that could not use the event
 *   kind        text        not null  -- why: malformed, late, ...
 *   origin      text        not null  -- topic/partition@offset, or 'unknown'
 *   reason      text        not null
 *   payload     text                  -- the record, without NUL characters
 *   event_ts    timestamptz           -- the event time, when it could be read
 *   received_at timestamptz not null default now()
 *   primary key (view_name, kind, origin)
 * </pre>
 *
 * <p>The table comes from {@link FreshetSchema}'s migrations, which {@link #ensureTable} applies
 * when the table is missing.
 */
public final class RejectedEvents {
  /** The schema-qualified table name. */
  public static final String TABLE = OfflineTable.SCHEMA + ".rejected_events";

  /**
   * Inserts one event unless its (view, kind, origin) is there: parameters view_name, kind, origin,
   * reason, payload, event_ts.
   */
  public static final String INSERT =
      "INSERT INTO "
          + TABLE
          + " (view_name, kind, origin, reason, payload, event_ts)"
          + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

  private RejectedEvents() {}

  /**
   * Binds one event to the parameters of {@link #INSERT}: a missing origin is stored as {@code
   * unknown}, NUL characters are dropped from the payload, a missing event time is NULL.
   */
  public static void bind(PreparedStatement ps, RejectedEventsWriter.Event r) throws SQLException {
    ps.setString(1, r.view());
    ps.setString(2, r.kind());
    ps.setString(3, r.origin() == null ? "unknown" : r.origin());
    ps.setString(4, r.reason());
    ps.setString(5, r.payload() == null ? null : r.payload().replace("\u0000", ""));
    if (r.eventTs() == null) {
      ps.setNull(6, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      ps.setTimestamp(6, new Timestamp(r.eventTs()));
    }
  }

  /**
   * Migrates schema {@code freshet} through {@code schema} if the table does not exist yet. When it
   * exists, as on every restart of a running job, nothing is migrated, so a role that may only
   * insert into a table created in advance still can.
   */
  public static void ensureTable(Connection c, DataSource schema) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, TABLE);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next() && rs.getBoolean(1)) {
          return;
        }
      }
    }
    FreshetSchema.migrate(schema);
  }
}
