package io.freshet.offline;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads a user's label table for a training set: its columns as the catalog describes them, and its
 * rows in a deterministic order as one {@code COPY} text stream, so that the same table gives the
 * same rows in the same order (and so the same checksum) every time.
 *
 * <p>The order is the primary key's, bytewise ({@code COLLATE "C"}) for collatable columns; a table
 * without one is ordered by every column's text, bytewise. Values come as the {@link
 * TrainingSession}'s pinned settings render them.
 */
public final class LabelTables {
  private LabelTables() {}

  /**
   * A column of a label table.
   *
   * @param name its name
   * @param type its type as {@code format_type} writes it, with modifiers ({@code numeric(10,2)})
   * @param baseType the type without modifiers, of the domain's base type for a domain
   * @param collatable whether it has a collation (text types)
   */
  public record Column(String name, String type, String baseType, boolean collatable) {}

  /**
   * The label table {@code schema.table}: its columns in order and the order its rows are read in.
   *
   * @param schema its schema, as stored in the catalog
   * @param table its name within the schema
   * @param columns the columns, in table order
   * @param orderBy the {@code ORDER BY} list of its rows, as messages quote it
   */
  public record Table(String schema, String table, List<Column> columns, String orderBy) {
    /**
     * The rows of the table, each as a line of {@code COPY} text with the columns in order, ordered
     * by {@link #orderBy}.
     */
    public CopyOutStream copyRows(TrainingSession s) throws OfflineStoreException {
      StringBuilder select = new StringBuilder();
      for (Column col : columns) {
        select.append(select.isEmpty() ? "" : ", ").append(SqlNames.quote(col.name()));
      }
      return s.copyOut(
          "COPY (SELECT "
              + select
              + " FROM "
              + SqlNames.qualified(schema, table)
              + " ORDER BY "
              + orderBy
              + ") TO STDOUT");
    }
  }

  /** The label table {@code schema.table}, if it exists. */
  public static Optional<Table> find(TrainingSession s, String schema, String table)
      throws OfflineStoreException {
    OptionalLong oid = oid(s, SqlNames.qualified(schema, table));
    if (oid.isEmpty()) {
      return Optional.empty();
    }
    List<Column> columns = columns(s, oid.getAsLong());
    List<String> key = primaryKey(s, oid.getAsLong());
    StringBuilder orderBy = new StringBuilder();
    if (key.isEmpty()) {
      for (Column col : columns) {
        orderBy.append(orderBy.isEmpty() ? "" : ", ");
        orderBy.append(SqlNames.quote(col.name())).append("::text COLLATE \"C\"");
      }
    } else {
      for (String name : key) {
        orderBy.append(orderBy.isEmpty() ? "" : ", ").append(SqlNames.quote(name));
        if (columns.stream().anyMatch(c -> c.name().equals(name) && c.collatable())) {
          orderBy.append(" COLLATE \"C\"");
        }
      }
    }
    return Optional.of(new Table(schema, table, columns, orderBy.toString()));
  }

  private static OptionalLong oid(TrainingSession s, String qualifiedName)
      throws OfflineStoreException {
    try (PreparedStatement ps = s.connection().prepareStatement("SELECT to_regclass(?)::oid")) {
      ps.setString(1, qualifiedName);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          long v = rs.getLong(1);
          return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(v);
        }
        return OptionalLong.empty();
      }
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  private static List<Column> columns(TrainingSession s, long oid) throws OfflineStoreException {
    List<Column> columns = new ArrayList<>();
    try (PreparedStatement ps =
        s.connection()
            .prepareStatement(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod),"
                    + " format_type(coalesce(nullif(t.typbasetype, 0), a.atttypid), NULL),"
                    + " a.attcollation <> 0"
                    + " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                    + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped"
                    + " ORDER BY a.attnum")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          columns.add(
              new Column(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4)));
        }
      }
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
    return List.copyOf(columns);
  }

  private static List<String> primaryKey(TrainingSession s, long oid) throws OfflineStoreException {
    List<String> cols = new ArrayList<>();
    try (PreparedStatement ps =
        s.connection()
            .prepareStatement(
                "SELECT a.attname FROM pg_index i"
                    + " JOIN pg_attribute a ON a.attrelid = i.indrelid"
                    + " AND a.attnum = ANY (i.indkey)"
                    + " WHERE i.indrelid = ? AND i.indisprimary"
                    + " ORDER BY array_position(i.indkey::int2[], a.attnum)")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          cols.add(rs.getString(1));
        }
      }
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
    return cols;
  }
}
