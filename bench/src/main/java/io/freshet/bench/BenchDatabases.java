package io.freshet.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** The benchmarks' own Postgres databases, created on the server they are pointed at. */
final class BenchDatabases {
  private BenchDatabases() {}

  /** Creates {@code database} through the {@code postgres} database of {@code adminUrl}. */
  static void createDatabase(String adminUrl, String database) throws SQLException {
    try (Connection c = DriverManager.getConnection(adminUrl);
        PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      ps.setString(1, database);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return;
        }
      }
      try (Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + database);
      } catch (SQLException e) {
        if (!"42P04".equals(e.getSQLState())) { // created meanwhile by another run
          throw e;
        }
      }
    }
  }

  /** The URL of {@code database} on the server of {@code adminUrl}. */
  static String databaseUrl(String adminUrl, String database) {
    int q = adminUrl.indexOf('?');
    String base = q < 0 ? adminUrl : adminUrl.substring(0, q);
    String params = q < 0 ? "" : adminUrl.substring(q);
    return base.substring(0, base.lastIndexOf('/') + 1) + database + params;
  }
}
