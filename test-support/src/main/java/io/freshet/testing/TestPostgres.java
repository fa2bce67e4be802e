package io.freshet.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * A real Postgres server for tests: the one named by {@code FRESHET_PG_URL}, else one listening on
 * 127.0.0.1:5432, else an embedded server started once per JVM. Each test class asks for its own
 * fresh database with {@link #freshDatabase(String)}.
 */
public final class TestPostgres {
  private static String adminUrl;
  private static EmbeddedPostgres embedded;

  private TestPostgres() {}

  /** A JDBC URL of a database that tests may use as an administrator. */
  public static synchronized String adminUrl() {
    if (adminUrl != null) {
      return adminUrl;
    }
    String env = System.getenv("FRESHET_PG_URL");
    if (env != null && !env.isBlank()) {
      adminUrl = env;
    } else if (listening("127.0.0.1", 5432)) {
      adminUrl = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";
    } else {
      adminUrl = startEmbedded();
    }
    return adminUrl;
  }

  /** Creates a new, empty database and returns its JDBC URL. */
  public static String freshDatabase(String prefix) {
    String name =
        (prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12))
            .toLowerCase(Locale.ROOT);
    try (Connection c = DriverManager.getConnection(adminUrl());
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "could not create test database " + name + " on " + adminUrl(), e);
    }
    return withDatabase(adminUrl(), name);
  }

  static String withDatabase(String url, String database) {
    int q = url.indexOf('?');
    String base = q < 0 ? url : url.substring(0, q);
    String params = q < 0 ? "" : url.substring(q);
    int slash = base.lastIndexOf('/');
    return base.substring(0, slash + 1) + database + params;
  }

  private static String startEmbedded() {
    if ("root".equals(System.getProperty("user.name"))) {
      throw new IllegalStateException(
          "no Postgres found (FRESHET_PG_URL unset, nothing on 127.0.0.1:5432) and an embedded"
              + " Postgres cannot run as root: start a local Postgres or set FRESHET_PG_URL");
    }
    try {
      embedded = EmbeddedPostgres.builder().start();
      Runtime.getRuntime().addShutdownHook(new Thread(TestPostgres::stopEmbedded));
      return embedded.getJdbcUrl("postgres", "postgres");
    } catch (Exception e) {
      throw new IllegalStateException("could not start an embedded Postgres", e);
    }
  }

  private static void stopEmbedded() {
    try {
      embedded.close();
    } catch (Exception ignored) {
      // the JVM is exiting
    }
  }

  static boolean listening(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 300);
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
