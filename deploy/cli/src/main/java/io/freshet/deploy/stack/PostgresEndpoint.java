package io.freshet.deploy.stack;

import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.PostgresProbe;
import io.freshet.storage.StoreUrls;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;

/**
 * The Postgres the stack uses: the one configured, else a server on 127.0.0.1:5432, else an
 * embedded one started for this run (and stopped by {@link #close()}).
 */
public final class PostgresEndpoint implements AutoCloseable {
  /** The URL tried when nothing is configured. */
  public static final String DEFAULT_LOCAL_URL =
      "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";

  private final String jdbcUrl;
  private final String origin;
  private final EmbeddedPostgres embedded;

  private PostgresEndpoint(String jdbcUrl, String origin, EmbeddedPostgres embedded) {
    this.jdbcUrl = jdbcUrl;
    this.origin = origin;
    this.embedded = embedded;
  }

  /**
   * Finds the Postgres to use.
   *
   * @param configuredUrl a JDBC URL from a flag or the environment, or null
   * @param source where {@code configuredUrl} came from, for messages (e.g. "FRESHET_PG_URL")
   */
  public static PostgresEndpoint locate(String configuredUrl, String source) {
    if (configuredUrl != null) {
      if (!configuredUrl.startsWith("jdbc:postgresql:")) {
        throw new StackException(
            source
                + " is '"
                + configuredUrl
                + "', not a Postgres JDBC URL (expected e.g. "
                + DEFAULT_LOCAL_URL
                + ")");
      }
      requireConnects(configuredUrl, "the Postgres named by " + source);
      return new PostgresEndpoint(configuredUrl, "from " + source, null);
    }
    if (Ports.listening("127.0.0.1", 5432)) {
      requireConnects(DEFAULT_LOCAL_URL, "the Postgres on 127.0.0.1:5432");
      return new PostgresEndpoint(DEFAULT_LOCAL_URL, "found running", null);
    }
    if (Privileges.isRoot()) {
      throw new StackException(
          "no Postgres found: FRESHET_PG_URL and --pg-url are not set and nothing listens on"
              + " 127.0.0.1:5432, and an embedded Postgres cannot be started as root (Postgres"
              + " refuses to run as root). Start a Postgres server (e.g. on 127.0.0.1:5432 with"
              + " user postgres) or set FRESHET_PG_URL to the JDBC URL of one, e.g. "
              + DEFAULT_LOCAL_URL);
    }
    try {
      EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
      return new PostgresEndpoint(
          pg.getJdbcUrl("postgres", "postgres"), "embedded, started for this run", pg);
    } catch (IOException | RuntimeException e) {
      throw new StackException(
          "no Postgres found (nothing on 127.0.0.1:5432) and an embedded Postgres could not"
              + " start: "
              + e.getMessage()
              + ". Set FRESHET_PG_URL to the JDBC URL of a Postgres server.",
          e);
    }
  }

  private static void requireConnects(String url, String what) {
    try {
      PostgresProbe.connect(url);
    } catch (OfflineStoreException e) {
      throw new StackException(
          "could not connect to "
              + what
              + " ("
              + url
              + "): "
              + e.getMessage()
              + ". Fix the server or the URL (a JDBC URL with user and password, e.g. "
              + DEFAULT_LOCAL_URL
              + "&password=...) in FRESHET_PG_URL or --pg-url.",
          e);
    }
  }

  public String jdbcUrl() {
    return jdbcUrl;
  }

  /** Where this Postgres came from, for the summary the command prints. */
  public String origin() {
    return origin;
  }

  /** The URL without a password, for printing. */
  public String displayUrl() {
    return StoreUrls.redact(jdbcUrl);
  }

  /** True when this run started the server (and {@link #close()} stops it). */
  public boolean startedHere() {
    return embedded != null;
  }

  @Override
  public void close() {
    if (embedded != null) {
      try {
        embedded.close();
      } catch (IOException e) {
        throw new StackException("could not stop the embedded Postgres: " + e.getMessage(), e);
      }
    }
  }
}
