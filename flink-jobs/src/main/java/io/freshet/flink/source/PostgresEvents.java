package io.freshet.flink.source;

import io.freshet.offline.PostgresSessions;
import io.freshet.plan.ViewPlan;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Historical events in a Postgres table or query, one row per event, read by the JDBC connector's
 * {@code JdbcSource} ({@link PostgresEventSource}). Free of Flink classes: the {@code freshet}
 * command checks the relation with it before it starts a job. Columns are named like the fields of
 * the view's JSON events: the key fields, the event-time field ({@code timestamptz}, {@code
 * timestamp} taken as UTC, or epoch milliseconds in an integer column) and the other fields. Each
 * row becomes a JSON object (SQL NULL is an absent field; numbers stay numbers; {@code json}/{@code
 * jsonb} values are taken as they are; other types become strings) that goes through the view's own
 * decoder, so a malformed row is rejected with the same reason as a malformed Kafka event.
 *
 * <p>A table's rows are named by their {@code ctid}, a query's by their position in its result
 * (give it an {@code ORDER BY} for names that hold across runs); the name is the origin of a
 * rejected row, so a second run over the same rows keeps each rejected row once.
 *
 * @param relation a table name ({@code events} or {@code schema.events}) or a {@code SELECT} (or
 *     {@code WITH}) query without {@code ;}
 * @param from the first event time read, or null for no lower bound
 * @param to the event time the read stops before, or null for no upper bound
 */
public record PostgresEvents(String relation, Instant from, Instant to) implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Pattern TABLE =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?");
  private static final Pattern QUERY = Pattern.compile("(?is)\\s*\\(?\\s*(select|with)\\b.*");

  /** The column that names each row; it is not part of the event. */
  static final String ROW_COLUMN = "freshet$row";

  public PostgresEvents {
    Objects.requireNonNull(relation, "table or query of the events");
    relation = relation.strip();
    if (relation.isEmpty()) {
      throw new IllegalArgumentException(
          "the events' table or query is empty: name a table (events, or schema.events) or give"
              + " a SELECT");
    }
    if (relation.contains(";")) {
      throw new IllegalArgumentException(
          "'"
              + relation
              + "' contains ';': give one table name or one SELECT, without ';' or further"
              + " statements");
    }
    if (!isQuery(relation) && !TABLE.matcher(relation).matches()) {
      throw new IllegalArgumentException(
          "'"
              + relation
              + "' is neither a table name (events, or schema.events) nor a SELECT or WITH query");
    }
    if (from != null && to != null && !from.isBefore(to)) {
      throw new IllegalArgumentException(
          "event-time range starts at " + from + ", not before its end " + to + " (swap them?)");
    }
  }

  /** Whether {@link #relation} is a query rather than a table name. */
  public boolean isQuery() {
    return isQuery(relation);
  }

  private static boolean isQuery(String relation) {
    return QUERY.matcher(relation).matches();
  }

  /** How the events are described to a person. */
  public String describe() {
    String range =
        from == null && to == null
            ? ""
            : ", event times "
                + (from == null ? "" : "from " + from + " ")
                + (to == null ? "" : "before " + to);
    return (isQuery() ? "Postgres query " : "Postgres table ") + relation + range;
  }

  /** The origin prefix of the rows: {@code postgres:<relation>}. */
  public String originPrefix() {
    return "postgres:" + (isQuery() ? "query" : relation);
  }

  /**
   * Checks the relation against the database: it exists, it has the view's key and event-time
   * columns, and for a range the time column is a timestamp or an integer. Returns the SQL the
   * source runs.
   *
   * @throws IllegalArgumentException naming what is missing or wrong
   * @throws SQLException if Postgres cannot be reached
   */
  public String check(String jdbcUrl, ViewPlan plan) throws SQLException {
    try (Connection c = PostgresSessions.open(jdbcUrl, "freshet-backfill-check")) {
      return check(c, plan);
    }
  }

  /** As {@link #check(String, ViewPlan)} on an open connection. */
  public String check(Connection c, ViewPlan plan) throws SQLException {
    if (!isQuery()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
        ps.setString(1, relation);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(1)) {
            throw new IllegalArgumentException(
                "there is no table "
                    + relation
                    + " in "
                    + PostgresSessions.safe(c.getMetaData().getURL())
                    + " (check the name and the schema, e.g. public.events)");
          }
        }
      }
    }
    Map<String, String> columns = new LinkedHashMap<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM (" + base() + ") AS events LIMIT 0")) {
      ResultSetMetaData md = rs.getMetaData();
      for (int i = 2; i <= md.getColumnCount(); i++) {
        columns.put(md.getColumnLabel(i), md.getColumnTypeName(i).toLowerCase(Locale.ROOT));
      }
    } catch (SQLException e) {
      if (e.getSQLState() != null && e.getSQLState().startsWith("42")) {
        throw new IllegalArgumentException(
            "Postgres refuses " + describe() + ": " + firstLine(e.getMessage()), e);
      }
      throw e;
    }
    List<String> needed = new ArrayList<>(plan.source().keyFields());
    String time = plan.source().eventTimeField();
    needed.add(time);
    List<String> missing = needed.stream().filter(f -> !columns.containsKey(f)).toList();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(
          relation
              + " has no column"
              + (missing.size() == 1 ? " " : "s ")
              + String.join(", ", missing)
              + ": view "
              + plan.name()
              + " needs its key "
              + String.join(", ", plan.source().keyFields())
              + " and its event time "
              + time
              + " (columns are "
              + String.join(", ", columns.keySet())
              + "; rename with AS in a SELECT)");
    }
    return sql(time, columns.get(time));
  }

  private String sql(String timeColumn, String timeType) {
    String sql = "SELECT * FROM (" + base() + ") AS events";
    if (from == null && to == null) {
      return sql;
    }
    String column = "\"" + timeColumn.replace("\"", "\"\"") + "\"";
    List<String> conditions = new ArrayList<>();
    switch (timeType) {
      case "timestamptz", "timestamp" -> {
        String cast = timeType.equals("timestamp") ? " AT TIME ZONE 'UTC'" : "";
        if (from != null) {
          conditions.add(column + " >= ('" + from + "'::timestamptz" + cast + ")");
        }
        if (to != null) {
          conditions.add(column + " < ('" + to + "'::timestamptz" + cast + ")");
        }
      }
      case "int8", "int4", "numeric" -> {
        if (from != null) {
          conditions.add(column + " >= " + from.toEpochMilli());
        }
        if (to != null) {
          conditions.add(column + " < " + to.toEpochMilli());
        }
      }
      default ->
          throw new IllegalArgumentException(
              "the event time column "
                  + timeColumn
                  + " is "
                  + timeType
                  + ": an event-time range (--from, --to) needs timestamptz, timestamp or epoch"
                  + " milliseconds (bigint); leave the range out, or cast it in a SELECT");
    }
    return sql + " WHERE " + String.join(" AND ", conditions);
  }

  /** The relation with the row name in front. */
  private String base() {
    return isQuery()
        ? "SELECT NULL::text AS \"" + ROW_COLUMN + "\", q.* FROM (" + relation + ") AS q"
        : "SELECT t.ctid::text AS \"" + ROW_COLUMN + "\", t.* FROM " + relation + " AS t";
  }

  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }
}
