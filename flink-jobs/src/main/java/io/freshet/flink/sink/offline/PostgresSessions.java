package io.freshet.flink.sink.offline;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Opens every Postgres session of the job, through the Postgres driver the job jar bundles and
 * never through {@link java.sql.DriverManager}.
 *
 * <p>On a Flink session cluster the job's classes, the driver among them, are loaded by Flink's
 * user-code class loader. {@code DriverManager} hands out only drivers its caller's class loader
 * can see and, at its first use, registers only those of the class path it starts with; it may then
 * answer "No suitable driver found for jdbc:postgresql://..." although the driver is in the job
 * jar. Calling the driver directly does not depend on either.
 *
 * <p>Sessions get a 10 s connect timeout, a 5 min socket timeout and TCP keep-alive; parameters of
 * the URL override them. Thread-safe.
 */
public final class PostgresSessions {
  private static final Driver DRIVER = new org.postgresql.Driver();

  private PostgresSessions() {}

  /**
   * Opens a session in auto-commit mode.
   *
   * @param jdbcUrl {@code jdbc:postgresql://host:5432/db?user=...}
   * @param applicationName the session's {@code application_name}, as {@code pg_stat_activity}
   *     shows it
   * @throws IllegalArgumentException if the URL is not a Postgres JDBC URL
   * @throws SQLException if Postgres cannot be reached or refuses the session
   */
  public static Connection open(String jdbcUrl, String applicationName) throws SQLException {
    Properties defaults = new Properties();
    defaults.setProperty("ApplicationName", applicationName);
    defaults.setProperty("connectTimeout", "10");
    defaults.setProperty("socketTimeout", "300");
    defaults.setProperty("tcpKeepAlive", "true");
    Connection c = DRIVER.connect(jdbcUrl, defaults);
    if (c == null) {
      throw new IllegalArgumentException(
          "'"
              + safe(jdbcUrl)
              + "' is not a Postgres JDBC URL (use jdbc:postgresql://host:5432/db?user=...)");
    }
    return c;
  }

  /** A JDBC URL without its password, for messages. */
  public static String safe(String url) {
    return url.replaceAll("(?i)(password=)[^&]*", "$1***");
  }
}
