package io.freshet.training;

import java.util.Objects;

/**
 * A Postgres table named {@code schema.table}, or {@code table} for {@code public.table}. Names are
 * taken exactly as written (case-sensitive, as stored in the catalog) and quoted in SQL by the
 * offline store.
 *
 * @param schema the schema
 * @param table the table within it
 */
public record TableName(String schema, String table) {
  public TableName {
    check("schema", schema);
    check("table", table);
  }

  /** Parses {@code schema.table} or {@code table}. */
  public static TableName parse(String text) {
    Objects.requireNonNull(text, "table name");
    int dot = text.indexOf('.');
    if (dot < 0) {
      return new TableName("public", text);
    }
    if (text.indexOf('.', dot + 1) >= 0) {
      throw new IllegalArgumentException(
          "table name '" + text + "' must be written schema.table (e.g. ml.churn_labels)");
    }
    return new TableName(text.substring(0, dot), text.substring(dot + 1));
  }

  private static void check(String what, String name) {
    if (name == null || name.isEmpty() || name.indexOf('.') >= 0 || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          what
              + " name '"
              + name
              + "' must be non-empty without '.' (write schema.table, e.g. ml.churn_labels)");
    }
  }

  @Override
  public String toString() {
    return schema + "." + table;
  }
}
