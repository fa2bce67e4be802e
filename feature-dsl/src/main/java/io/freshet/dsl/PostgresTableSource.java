package io.freshet.dsl;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A Postgres table, or a query, whose rows are entity attributes or warehouse aggregates (country,
 * signup date, lifetime value): one row per entity, keyed by {@link #keyColumns()}, stamped by
 * {@link #timestampColumn()} (a {@code timestamptz}, {@code timestamp} or {@code date} column, or
 * epoch milliseconds as {@code bigint}).
 *
 * <p>{@code freshet materialize} reads the rows whose timestamp lies in a range {@code (from, to]}
 * and writes each as the entity's row at {@code feature_ts} = its timestamp, into the same offline
 * history and online table as every view; training sets join it point-in-time by that timestamp. A
 * row updated in place must carry a newer timestamp, or the next incremental load does not see the
 * change; an entity updated several times between two loads contributes only the state the load
 * reads.
 *
 * <pre>{@code
 * PostgresTableSource.table("freshet_examples.user_profile")
 *     .keyedBy("user_id")
 *     .timestampColumn("updated_at");
 * }</pre>
 *
 * <p>Immutable and thread-safe. Exactly one of {@code table} and {@code query} is set.
 *
 * @param table a table or view, {@code name} or {@code schema.name}, or null for a query
 * @param query a single SELECT statement, or null for a table
 * @param keyColumns the entity key columns
 * @param timestampColumn the column stamping when each row's values became true
 */
public record PostgresTableSource(
    String table, String query, List<String> keyColumns, String timestampColumn)
    implements ViewSource {

  /**
   * The TTL a table-sourced view gets unless it declares one: attributes do not expire, so this is
   * {@link FeatureView#NO_TTL}, a finite stand-in for "never" that every store's arithmetic
   * handles.
   */
  public static final Duration DEFAULT_TTL = FeatureView.NO_TTL;

  private static final Pattern TABLE =
      Pattern.compile("[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?");
  private static final Pattern COLUMN = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  public PostgresTableSource {
    if ((table == null) == (query == null)) {
      throw new DefinitionException(
          "a Postgres table source needs exactly one of a table and a query (use"
              + " PostgresTableSource.table(\"schema.name\") or .query(\"select ...\"))");
    }
    if (table != null && !TABLE.matcher(table).matches()) {
      throw new DefinitionException(
          "table '"
              + table
              + "' is not a valid table name: use 'name' or 'schema.name' of lower-case letters,"
              + " digits and '_' (for anything else, use PostgresTableSource.query(\"select ...\"))");
    }
    if (query != null) {
      String q = query.strip();
      if (q.isEmpty()
          || !q.regionMatches(true, 0, "select", 0, 6) && !q.regionMatches(true, 0, "with", 0, 4)) {
        throw new DefinitionException(
            "query '"
                + query
                + "' is not a SELECT statement (write one query: 'select ... from ...')");
      }
      if (q.contains(";")) {
        throw new DefinitionException(
            "query '"
                + query
                + "' contains ';': write a single SELECT without ';' (it is wrapped as a subquery)");
      }
      query = q;
    }
    keyColumns = List.copyOf(Objects.requireNonNull(keyColumns, "keyColumns"));
    for (String k : keyColumns) {
      checkColumn("entity key column of source '" + label(table) + "'", k);
    }
    if (timestampColumn != null) {
      checkColumn("timestamp column of source '" + label(table) + "'", timestampColumn);
    }
  }

  /** A source over a table or view, {@code name} or {@code schema.name}. */
  public static PostgresTableSource table(String table) {
    if (table == null) {
      throw new DefinitionException(
          "table name is missing (e.g. table(\"freshet_examples.user_profile\"))");
    }
    return new PostgresTableSource(table, null, List.of(), null);
  }

  /** A source over a single SELECT statement (no ';'), read as a subquery. */
  public static PostgresTableSource query(String select) {
    if (select == null) {
      throw new DefinitionException("query is missing (e.g. query(\"select ... from ...\"))");
    }
    return new PostgresTableSource(null, select, List.of(), null);
  }

  /** The entity key: the column(s) whose values identify the entity. */
  public PostgresTableSource keyedBy(String... columns) {
    return new PostgresTableSource(table, query, List.of(columns), timestampColumn);
  }

  /** The column stamping each row: feature_ts of the row, and what incremental loads follow. */
  public PostgresTableSource timestampColumn(String column) {
    return new PostgresTableSource(table, query, keyColumns, column);
  }

  @Override
  public List<String> keyFields() {
    return keyColumns;
  }

  @Override
  public String label() {
    return label(table);
  }

  private static String label(String table) {
    return table == null ? "query" : table;
  }

  static void checkColumn(String what, String column) {
    if (column == null || !COLUMN.matcher(column).matches()) {
      throw new DefinitionException(
          what
              + " '"
              + column
              + "' is not a valid column name: use lower-case letters, digits and '_', starting"
              + " with a letter or '_' (alias other columns in a query)");
    }
  }
}
