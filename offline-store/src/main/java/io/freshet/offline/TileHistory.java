package io.freshet.offline;

import io.freshet.storage.Tile;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Reads the tile history of a request-time view version ({@link TileTable}) back, for training sets
 * and {@code verify}: tile versions with the instant each became visible online, as committed up to
 * an as-of time.
 *
 * <p>Every read streams in {@code (entity_key COLLATE "C", tile_start, version)} order, the primary
 * key's own, so Postgres reads the index in order instead of sorting, each entity's versions arrive
 * together, and a reader holding labels sorted by (entity, instant) merges both in one pass: per
 * entity, the versions are ordered by tile and within a tile oldest first, so the newest version of
 * a tile visible at {@code L} is the last of its tile with {@code visibleMicros <= L}.
 *
 * <p>Run in a transaction ({@link TrainingSession#begin}) the rows come through a cursor, a batch
 * at a time; in auto-commit mode the driver reads them all first. The methods that take a {@link
 * TrainingSession} run the statements of the methods that return SQL; {@link
 * OfflineSession#forEachTileVersion} and {@link OfflineSession#forEachNewestTile} run them for
 * {@code verify}.
 */
public final class TileHistory {
  /** The {@link Version#visibleMicros()} of a version that was never served online. */
  public static final long NEVER_SERVED = Long.MAX_VALUE;

  private static final int FETCH_SIZE = 4096;

  private TileHistory() {}

  /**
   * One stored version of one tile.
   *
   * @param tile the tile version
   * @param visibleMicros the epoch microseconds from which the online store served it, or {@link
   *     #NEVER_SERVED}; so "visible at {@code L}" is {@code visibleMicros <= L} either way
   */
  public record Version(Tile tile, long visibleMicros) {
    /** Whether the online store ever served this version. */
    public boolean served() {
      return visibleMicros != NEVER_SERVED;
    }
  }

  /**
   * Every version of the tiles of {@code entities} (all entities when null), as committed up to
   * {@code asOf} (everything when null), in the order of the class comment.
   */
  public static void versions(
      TrainingSession s,
      TileTable table,
      Instant asOf,
      Collection<String> entities,
      Consumer<Version> sink)
      throws OfflineStoreException {
    try {
      run(s.connection(), select(table, asOf, entities != null, false), asOf, entities, sink);
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /**
   * The newest version of every tile of {@code entities} (all entities when null) as committed up
   * to {@code asOf} (everything when null), visible or not: the tiles once every event within the
   * allowed lateness arrived. In {@code (entity_key COLLATE "C", tile_start)} order.
   */
  public static void newestVersions(
      TrainingSession s,
      TileTable table,
      Instant asOf,
      Collection<String> entities,
      Consumer<Version> sink)
      throws OfflineStoreException {
    try {
      run(s.connection(), select(table, asOf, entities != null, true), asOf, entities, sink);
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /**
   * Every version, as committed up to {@code asOf} (everything when null), of the tiles of the
   * entities in {@link AsOfScan}'s keys table whose {@code tile_start} lies in the entity's {@code
   * [lo, hi]}, for the entities in the bytewise range {@code [first, last]}: a training set's
   * slice, as {@link AsOfScan#select} reads the rows of a window-end view. The keys table must have
   * been filled in the session's transaction ({@link AsOfScan#prepare}, {@link AsOfScan#keysIn}).
   */
  public static void versionsForKeys(
      TrainingSession s,
      TileTable table,
      Instant asOf,
      String first,
      String last,
      Consumer<Version> sink)
      throws OfflineStoreException {
    try {
      run(s.connection(), selectForKeys(table, asOf, first, last), null, null, sink);
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /**
   * The first instant, in epoch microseconds, at which the online store served any tile of the view
   * version, among the versions committed up to {@code asOf} (all when null); empty if it never
   * served one. Labels before it have no serving history.
   */
  public static OptionalLong firstServedMicros(TrainingSession s, TileTable table, Instant asOf)
      throws OfflineStoreException {
    String sql =
        "SELECT (extract(epoch FROM min(visible_at)) * 1000000)::bigint FROM "
            + table.qualifiedName()
            + " WHERE visible_at IS NOT NULL"
            + (asOf == null ? "" : " AND committed_at <= ?");
    try (PreparedStatement ps = s.connection().prepareStatement(sql)) {
      if (asOf != null) {
        ps.setObject(1, asOf.atOffset(ZoneOffset.UTC));
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long v = rs.getLong(1);
        return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(v);
      }
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /**
   * The query of {@link #versions} ({@code newestOnly} false) or {@link #newestVersions} (true):
   * columns entity_key, tile_start in epoch ms, version, payload, visible_at in epoch µs (null when
   * never served). Parameters: the as-of time ({@code timestamptz}) if given, then the entities
   * ({@code text[]}) if {@code forEntities}.
   */
  public static String select(
      TileTable table, Instant asOf, boolean forEntities, boolean newestOnly) {
    StringBuilder where = new StringBuilder();
    if (asOf != null) {
      where.append(" WHERE committed_at <= ?");
    }
    if (forEntities) {
      where.append(where.isEmpty() ? " WHERE " : " AND ").append("entity_key = ANY (?)");
    }
    if (newestOnly) {
      return "SELECT DISTINCT ON (entity_key COLLATE \"C\", tile_start) "
          + COLUMNS
          + " FROM "
          + table.qualifiedName()
          + where
          + " ORDER BY entity_key COLLATE \"C\", tile_start, version DESC";
    }
    return "SELECT "
        + COLUMNS
        + " FROM "
        + table.qualifiedName()
        + where
        + " ORDER BY entity_key COLLATE \"C\", tile_start, version";
  }

  /** The query of {@link #versionsForKeys}; columns as {@link #select}, no parameters. */
  public static String selectForKeys(TileTable table, Instant asOf, String first, String last) {
    return "SELECT "
        + COLUMNS.replace("entity_key", "t.entity_key")
        + " FROM "
        + table.qualifiedName()
        + " t JOIN "
        + AsOfScan.KEYS_TABLE
        + " k ON k.entity_key = t.entity_key AND t.tile_start >= k.lo AND t.tile_start <= k.hi"
        + " WHERE "
        + (asOf == null ? "" : "t.committed_at <= '" + asOf + "'::timestamptz AND ")
        + "t.entity_key COLLATE \"C\" >= "
        + AsOfScan.literal(first)
        + " AND t.entity_key COLLATE \"C\" <= "
        + AsOfScan.literal(last)
        + " ORDER BY t.entity_key COLLATE \"C\", t.tile_start, t.version";
  }

  private static final String COLUMNS =
      "entity_key, (extract(epoch FROM tile_start) * 1000)::bigint, version, payload,"
          + " (extract(epoch FROM visible_at) * 1000000)::bigint";

  /** Runs a query of {@link #select} or {@link #selectForKeys} on {@code c}. */
  static void run(
      Connection c, String sql, Instant asOf, Collection<String> entities, Consumer<Version> sink)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      if (asOf != null) {
        ps.setObject(i++, asOf.atOffset(ZoneOffset.UTC));
      }
      if (entities != null) {
        ps.setArray(i, c.createArrayOf("text", entities.toArray()));
      }
      ps.setFetchSize(FETCH_SIZE);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long visible = rs.getLong(5);
          if (rs.wasNull()) {
            visible = NEVER_SERVED;
          }
          sink.accept(
              new Version(
                  new Tile(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getBytes(4)),
                  visible));
        }
      }
    }
  }
}
