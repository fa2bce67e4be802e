package io.freshet.offline;

import io.freshet.storage.StoreUrls;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Opens every Postgres session of Freshet's jobs and tools, through the Postgres driver the job jar
 * bundles and never through {@link java.sql.DriverManager}.
 *
 * <p>On a Flink session cluster the job's classes, the driver among them, are loaded by Flink's
 * user-code class loader. {@code DriverManager} hands out only drivers its caller's class loader
 * can see and, at its first use, registers only those of the class path it starts with; it may then
 * answer "No suitable driver found for jdbc:postgresql://..." although the driver is in the job
 * jar. Calling the driver directly does not depend on either.
 *
 * <p>Sessions get a 10 s connect timeout, a 5 min socket timeout (unless the caller gives another)
 * and TCP keep-alive; parameters of the URL override them. Thread-safe.
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
    return open(jdbcUrl, applicationName, Duration.ofMinutes(5));
  }

  /**
   * Opens a session in auto-commit mode whose reads wait for the server at most {@code
   * socketTimeout} ({@link Duration#ZERO}: as long as it takes, for tools whose one statement may
   * run for long before its first row).
   *
   * @throws IllegalArgumentException if the URL is not a Postgres JDBC URL
   * @throws SQLException if Postgres cannot be reached or refuses the session
   */
  public static Connection open(String jdbcUrl, String applicationName, Duration socketTimeout)
      throws SQLException {
    Properties defaults = new Properties();
    defaults.setProperty("ApplicationName", applicationName);
    defaults.setProperty("connectTimeout", "10");
    defaults.setProperty("socketTimeout", Long.toString(socketTimeout.toSeconds()));
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

  /**
   * A data source whose connections are {@link #open opened} here, for libraries that take a data
   * source (Flyway): they then never go through {@code DriverManager} either.
   */
  public static DataSource dataSource(String jdbcUrl, String applicationName) {
    return new SessionSource(jdbcUrl, applicationName);
  }

  /** A JDBC URL without its password, for messages. */
  public static String safe(String url) {
    return StoreUrls.redact(url);
  }

  private record SessionSource(String jdbcUrl, String applicationName) implements DataSource {
    @Override
    public Connection getConnection() throws SQLException {
      return open(jdbcUrl, applicationName);
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      throw new SQLFeatureNotSupportedException(
          "give user and password as parameters of the JDBC URL");
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException("no java.util.logging");
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
      throw new SQLException("not a wrapper of " + type.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
      return false;
    }

    @Override
    public String toString() {
      return "PostgresSessions[" + safe(jdbcUrl) + "]";
    }
  }
}
