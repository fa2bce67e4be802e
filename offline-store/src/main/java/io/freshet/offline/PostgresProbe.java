package io.freshet.offline;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Checks that a Postgres server named by a JDBC URL takes a session, for the commands that pick
 * which Postgres to use. The session has the driver's defaults, nothing of {@link
 * PostgresSessions}, and is closed at once.
 */
public final class PostgresProbe {
  private static final Driver DRIVER = new org.postgresql.Driver();

  private PostgresProbe() {}

  /**
   * Opens a session and asks whether it is valid, waiting at most 5 s for the answer.
   *
   * @throws OfflineStoreException with the driver's message if no session can be opened
   */
  public static void connect(String jdbcUrl) {
    try (Connection c = open(jdbcUrl)) {
      c.isValid(5);
    } catch (SQLException e) {
      throw OfflineStoreException.of(e);
    }
  }

  private static Connection open(String jdbcUrl) throws SQLException {
    Connection c = DRIVER.connect(jdbcUrl, new Properties());
    if (c == null) {
      throw new SQLException("No suitable driver found for " + jdbcUrl, "08001");
    }
    return c;
  }
}
