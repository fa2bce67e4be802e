package io.freshet.maintenance;

import io.freshet.plan.FeaturePart;
import io.freshet.storage.FeatureRow;
import io.freshet.offline.OfflineTable;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;

/** Reads feature rows of an offline table back into {@link FeatureRow}s, typed as the plan says. */
final class OfflineRows {
  private OfflineRows() {}

  /** The select list: entity_key, feature_ts in epoch ms, then every part in plan order. */
  static String columns(OfflineTable table) {
    StringBuilder sb =
        new StringBuilder("entity_key, (extract(epoch from feature_ts) * 1000)::bigint");
    for (String c : table.featureColumns()) {
      sb.append(", \"").append(c).append('"');
    }
    return sb.toString();
  }

  /** The row at the cursor of a result set selected with {@link #columns}. */
  static FeatureRow read(ResultSet rs, List<FeaturePart> parts) throws SQLException {
    Object[] values = new Object[parts.size()];
    for (int i = 0; i < values.length; i++) {
      int col = i + 3;
      values[i] =
          switch (parts.get(i).type()) {
            case INT64 -> {
              long v = rs.getLong(col);
              yield rs.wasNull() ? null : v;
            }
            case FLOAT64 -> {
              double v = rs.getDouble(col);
              yield rs.wasNull() ? null : v;
            }
            case STRING -> rs.getString(col);
            case STRING_LIST -> {
              Array a = rs.getArray(col);
              yield a == null ? null : List.copyOf(Arrays.asList((String[]) a.getArray()));
            }
          };
    }
    return new FeatureRow(rs.getString(1), rs.getLong(2), values);
  }
}
