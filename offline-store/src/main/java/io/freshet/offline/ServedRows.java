package io.freshet.offline;

import io.freshet.plan.FeaturePart;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalLong;

/**
 * The statements of an as-served read of a window-end view: the row versions the online table
 * served ({@code visible_at} not null, see {@link OfflineTable}), in the order they became visible,
 * for the entities of {@link AsOfScan}'s keys table. In the keys table, {@code lo} bounds {@code
 * feature_ts} from below (older rows have expired for every label of the entity) and {@code hi}
 * bounds {@code visible_at} from above (the entity's latest label): both only prune.
 */
public final class ServedRows {
  private ServedRows() {}

  /**
   * The first instant, in epoch microseconds, the online table served a row of the view version,
   * among the versions committed by {@code asOf} (all if null); empty if it never did, or if the
   * table has no {@code visible_at} yet (created by an earlier Freshet and not written since).
   */
  public static OptionalLong firstServedMicros(TrainingSession s, OfflineTable table, Instant asOf)
      throws OfflineStoreException {
    try {
      try (PreparedStatement ps =
          s.connection()
              .prepareStatement(
                  "SELECT 1 FROM information_schema.columns WHERE table_schema = ?"
                      + " AND table_name = ? AND column_name = 'visible_at'")) {
        ps.setString(1, OfflineTable.SCHEMA);
        ps.setString(2, table.tableName());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return OptionalLong.empty();
          }
        }
      }
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
      }
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /**
   * Every served version of {@code table} committed by {@code asOf}, for the entities of the keys
   * table within their bounds whose keys lie in the bytewise range {@code [first, last]}: columns
   * entity_key, visible_at in epoch microseconds, feature_ts in epoch microseconds, then the chosen
   * parts; ordered by {@code entity_key COLLATE "C"}, visible_at, feature_ts.
   */
  public static String select(
      OfflineTable table, List<FeaturePart> parts, Instant asOf, String first, String last) {
    StringBuilder sb =
        new StringBuilder(
            "SELECT r.entity_key, (extract(epoch FROM r.visible_at) * 1000000)::bigint,"
                + " (extract(epoch FROM r.feature_ts) * 1000000)::bigint");
    for (FeaturePart p : parts) {
      sb.append(", r.\"").append(p.name().replace("\"", "\"\"")).append('"');
    }
    sb.append(" FROM ")
        .append(table.qualifiedName())
        .append(" r JOIN ")
        .append(AsOfScan.KEYS_TABLE)
        .append(" k ON k.entity_key = r.entity_key")
        .append(" AND r.feature_ts >= k.lo AND r.visible_at <= k.hi")
        .append(" WHERE r.visible_at IS NOT NULL AND r.committed_at <= '")
        .append(asOf)
        .append("'::timestamptz AND r.entity_key COLLATE \"C\" >= ")
        .append(AsOfScan.literal(first))
        .append(" AND r.entity_key COLLATE \"C\" <= ")
        .append(AsOfScan.literal(last))
        .append(" ORDER BY r.entity_key COLLATE \"C\", r.visible_at, r.feature_ts");
    return sb.toString();
  }

  /** Streams the rows of {@link #select} from {@code s}, in {@code COPY} text. */
  public static CopyOutStream rowsOut(
      TrainingSession s,
      OfflineTable table,
      List<FeaturePart> parts,
      Instant asOf,
      String first,
      String last)
      throws OfflineStoreException {
    return s.copyOut("COPY (" + select(table, parts, asOf, first, last) + ") TO STDOUT");
  }
}
