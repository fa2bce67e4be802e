package io.freshet.flink.materialize;

import io.freshet.dsl.FeatureType;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.TableSourcePlan;
import io.freshet.plan.ViewPlan;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The SQL that reads a table-sourced view's rows in a range of their timestamps, checked against
 * the relation's real columns before any job starts.
 *
 * <p>The statement selects, in order: the key columns as text, the timestamp as epoch milliseconds
 * ({@code timestamptz}, {@code timestamp} and {@code date} through {@code extract(epoch ...)}, the
 * latter two read as UTC; integer columns taken as epoch milliseconds), then one column per part,
 * timestamp-typed ones converted to epoch milliseconds the same way. It keeps rows whose key
 * columns and timestamp are not null and whose timestamp in milliseconds lies in {@code (from,
 * to]}. Every name was validated by the DSL (lower-case identifiers; a query is a single SELECT
 * without ';') and is quoted here.
 *
 * @param select the statement
 * @param keyCount how many key columns lead each row
 * @param types the part types, in part order
 */
public record TableQuery(String select, int keyCount, List<FeatureType> types)
    implements Serializable {

  private static final Set<String> TIMESTAMPS = Set.of("timestamptz", "timestamp", "date");
  private static final Set<String> INTEGERS = Set.of("int2", "int4", "int8");
  private static final Set<String> FLOATS = Set.of("float4", "float8", "numeric");
  private static final Set<String> TEXTS = Set.of("text", "varchar", "bpchar", "name", "citext");
  private static final Set<String> TEXT_LISTS = Set.of("_text", "_varchar", "_bpchar");

  public TableQuery {
    types = List.copyOf(types);
  }

  /**
   * The query over the rows of {@code plan}'s table whose timestamp lies in {@code (from, to]}
   * ({@code from} null: no lower bound), with each column's type looked up through {@code c}.
   *
   * @throws IllegalArgumentException naming the column and the fix, when a column is missing or has
   *     a type its feature cannot take
   * @throws SQLException when the relation cannot be read at all
   */
  public static TableQuery of(Connection c, ViewPlan plan, Long from, long to) throws SQLException {
    TableSourcePlan t = plan.tableSource();
    Map<String, String> columns = columnTypes(c, plan, t);
    String where = "view '" + plan.name() + "': " + t.label();
    List<String> select = new ArrayList<>();
    List<String> notNull = new ArrayList<>();
    for (String k : t.keyColumns()) {
      require(columns, where, k, "entity key column");
      select.add("src." + quote(k) + "::text");
      notNull.add("src." + quote(k) + " IS NOT NULL");
    }
    String tsType = require(columns, where, t.timestampColumn(), "timestamp column");
    String ts;
    if (TIMESTAMPS.contains(tsType)) {
      ts = epochMillis("src." + quote(t.timestampColumn()), tsType);
    } else if (INTEGERS.contains(tsType)) {
      ts = "src." + quote(t.timestampColumn()) + "::bigint";
    } else {
      throw new IllegalArgumentException(
          where
              + ": timestamp column '"
              + t.timestampColumn()
              + "' has type "
              + tsType
              + "; use a timestamptz, timestamp or date column, or epoch milliseconds as bigint");
    }
    select.add(ts);
    notNull.add("src." + quote(t.timestampColumn()) + " IS NOT NULL");
    List<FeatureType> types = new ArrayList<>();
    for (FeaturePart.Column p : plan.columnParts()) {
      String type = require(columns, where, p.column(), "column of feature '" + p.name() + "'");
      select.add(expression(where, p, type));
      types.add(p.type());
    }
    StringBuilder sql = new StringBuilder("SELECT ");
    sql.append(String.join(", ", select));
    sql.append(" FROM ").append(relation(t)).append(" AS src WHERE ");
    sql.append(String.join(" AND ", notNull));
    if (from != null) {
      sql.append(" AND ").append(ts).append(" > ").append(from.longValue());
    }
    sql.append(" AND ").append(ts).append(" <= ").append(to);
    return new TableQuery(sql.toString(), t.keyColumns().size(), types);
  }

  /** How many rows the query reads. */
  public long count(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT count(*) FROM (" + select + ") AS q")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String expression(String where, FeaturePart.Column p, String type) {
    String col = "src." + quote(p.column());
    boolean ok =
        switch (p.type()) {
          case INT64 -> INTEGERS.contains(type) || TIMESTAMPS.contains(type);
          case FLOAT64 -> FLOATS.contains(type) || INTEGERS.contains(type);
          case STRING -> TEXTS.contains(type);
          case STRING_LIST -> TEXT_LISTS.contains(type);
        };
    if (!ok) {
      throw new IllegalArgumentException(
          where
              + ": column '"
              + p.column()
              + "' of feature '"
              + p.name()
              + "' has type "
              + type
              + ", which a "
              + p.type()
              + " feature cannot take (declare the matching FeatureType, or cast the column in a"
              + " query: PostgresTableSource.query(\"select ..., x::text as x from ...\"))");
    }
    if (TIMESTAMPS.contains(type)) {
      return epochMillis(col, type);
    }
    return switch (p.type()) {
      case INT64 -> col + "::bigint";
      case FLOAT64 -> col + "::float8";
      case STRING -> col + "::text";
      case STRING_LIST -> col + "::text[]";
    };
  }

  /** Epoch milliseconds of a timestamp-typed column; timestamp and date are read as UTC. */
  private static String epochMillis(String col, String type) {
    String instant =
        type.equals("timestamptz") ? col : "(" + col + ")::timestamp AT TIME ZONE 'UTC'";
    return "floor(extract(epoch from " + instant + ") * 1000)::bigint";
  }

  private static String require(
      Map<String, String> columns, String where, String column, String what) {
    String type = columns.get(column);
    if (type == null) {
      throw new IllegalArgumentException(
          where
              + " has no column '"
              + column
              + "' ("
              + what
              + "); its columns are "
              + columns.keySet()
              + " (fix the view definition, or alias the column in a query)");
    }
    return type;
  }

  private static Map<String, String> columnTypes(Connection c, ViewPlan plan, TableSourcePlan t)
      throws SQLException {
    Map<String, String> types = new HashMap<>();
    try (Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT * FROM " + relation(t) + " AS src LIMIT 0")) {
      ResultSetMetaData md = rs.getMetaData();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        types.put(md.getColumnLabel(i), md.getColumnTypeName(i).toLowerCase(Locale.ROOT));
      }
    } catch (SQLException e) {
      throw new SQLException(
          "view '"
              + plan.name()
              + "': cannot read "
              + t.label()
              + ": "
              + e.getMessage()
              + " (create the table, or fix the view's table or query)",
          e.getSQLState(),
          e);
    }
    return new java.util.TreeMap<>(types);
  }

  private static String relation(TableSourcePlan t) {
    if (t.table() != null) {
      int dot = t.table().indexOf('.');
      return dot < 0
          ? quote(t.table())
          : quote(t.table().substring(0, dot)) + "." + quote(t.table().substring(dot + 1));
    }
    return "(" + t.query() + ")";
  }

  private static String quote(String identifier) {
    return '"' + identifier + '"';
  }
}
