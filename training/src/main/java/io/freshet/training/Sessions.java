package io.freshet.training;

import io.freshet.offline.PostgresSessions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * Connections whose text output is pinned: values that reach a training set (label columns of a
 * table, feature values) are rendered by Postgres in text, and that text is checksummed, so every
 * setting that changes it is fixed here rather than taken from the server's or role's defaults.
 */
final class Sessions {
  /** The {@code application_name} of the builder's sessions. */
  static final String APPLICATION_NAME = "freshet-training";

  private Sessions() {}

  static Connection open(String jdbcUrl) throws SQLException {
    Connection c = PostgresSessions.open(jdbcUrl, APPLICATION_NAME, Duration.ZERO);
    try (Statement s = c.createStatement()) {
      s.execute(
          "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';"
              + " SET extra_float_digits = 1; SET bytea_output = 'hex';"
              + " SET application_name = '"
              + APPLICATION_NAME
              + "'");
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }
}
