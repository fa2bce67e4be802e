package io.freshet.plan;

import io.freshet.dsl.PostgresTableSource;
import java.io.Serializable;
import java.util.List;

/**
 * Where a table-sourced view's rows come from, as the materialization reads it: the relation (a
 * table, or a query to be read as a subquery), its key columns and its timestamp column. Names are
 * validated by the DSL: lower-case identifiers, and a query without ';'.
 *
 * @param table {@code name} or {@code schema.name}, or null when {@code query} is set
 * @param query a single SELECT statement, or null when {@code table} is set
 * @param keyColumns the entity key columns, in order
 * @param timestampColumn the column whose value is each row's feature_ts
 */
public record TableSourcePlan(
    String table, String query, List<String> keyColumns, String timestampColumn)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public TableSourcePlan {
    keyColumns = List.copyOf(keyColumns);
  }

  static TableSourcePlan of(PostgresTableSource s) {
    return new TableSourcePlan(s.table(), s.query(), s.keyColumns(), s.timestampColumn());
  }

  /** The FROM item: the table, or the query in parentheses. */
  public String relation() {
    return table != null ? table : "(" + query + ")";
  }

  /** A short name for messages: the table, or "query". */
  public String label() {
    return table != null ? table : "query";
  }
}
