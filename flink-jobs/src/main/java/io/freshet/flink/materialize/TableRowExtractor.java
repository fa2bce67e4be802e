package io.freshet.flink.materialize;

import io.freshet.dsl.FeatureType;
import io.freshet.storage.EntityKey;
import io.freshet.storage.FeatureRow;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.connector.jdbc.core.datastream.source.reader.extractor.ResultExtractor;

/**
 * Turns a row of a {@link TableQuery} into a {@link FeatureRow}: the entity key from the key
 * columns, {@code feature_ts} = the row's timestamp, then the part values in their types (null
 * stays null).
 */
final class TableRowExtractor implements ResultExtractor<FeatureRow> {
  private static final long serialVersionUID = 1L;

  private final int keyCount;
  private final FeatureType[] types;

  TableRowExtractor(TableQuery query) {
    this.keyCount = query.keyCount();
    this.types = query.types().toArray(new FeatureType[0]);
  }

  @Override
  public FeatureRow extract(ResultSet rs) throws SQLException {
    String key;
    if (keyCount == 1) {
      key = rs.getString(1);
    } else {
      List<String> parts = new ArrayList<>(keyCount);
      for (int i = 1; i <= keyCount; i++) {
        parts.add(rs.getString(i));
      }
      key = EntityKey.of(parts);
    }
    long ts = rs.getLong(keyCount + 1);
    Object[] values = new Object[types.length];
    for (int i = 0; i < types.length; i++) {
      int col = keyCount + 2 + i;
      values[i] =
          switch (types[i]) {
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
              yield a == null
                  ? null
                  : java.util.Collections.unmodifiableList(Arrays.asList((String[]) a.getArray()));
            }
          };
    }
    return new FeatureRow(key, ts, values);
  }

  @Override
  public String identifier() {
    return "freshet-table-row";
  }
}
