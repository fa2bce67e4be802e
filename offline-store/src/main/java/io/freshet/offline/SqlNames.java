package io.freshet.offline;

/**
 * Identifiers written into SQL: quoted, so that any name a catalog can hold is taken as written.
 */
public final class SqlNames {
  private SqlNames() {}

  /** {@code identifier} in double quotes, its own double quotes doubled. */
  public static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /** {@code "schema"."table"}. */
  public static String qualified(String schema, String table) {
    return quote(schema) + "." + quote(table);
  }
}
