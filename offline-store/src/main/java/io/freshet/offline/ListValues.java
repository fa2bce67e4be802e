package io.freshet.offline;

import java.sql.Array;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;

/**
 * STRING_LIST values in the offline store ({@code text[]}): written as array literals, read back
 * from JDBC arrays. The one place that knows both directions.
 */
public final class ListValues {
  private ListValues() {}

  /**
   * A STRING_LIST value as a Postgres array literal, e.g. {@code ["a", "b\"c"]} as {@code
   * {"a","b\"c"}}: how the batch statements take it, and how {@code COPY} text shows it.
   */
  public static String literal(List<?> values) {
    StringBuilder sb = new StringBuilder("{");
    for (Object v : values) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append('"');
      String s = String.valueOf(v);
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c == '"' || c == '\\') {
          sb.append('\\');
        }
        sb.append(c);
      }
      sb.append('"');
    }
    return sb.append('}').toString();
  }

  /** The value of a {@code text[]} column, or null for SQL NULL. */
  public static List<String> read(Array array) throws SQLException {
    return array == null ? null : List.copyOf(Arrays.asList((String[]) array.getArray()));
  }
}
