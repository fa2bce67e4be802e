package io.freshet.deploy.cli;

import io.freshet.deploy.stack.PostgresEndpoint;
import io.freshet.storage.StoreUrls;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --pg-url}: the Postgres of the registry and the offline tables. */
final class PostgresOption {
  @Option(
      names = "--pg-url",
      paramLabel = "<jdbc-url>",
      description =
          "Postgres holding the registry and the offline tables (default: FRESHET_PG_URL, else "
              + PostgresEndpoint.DEFAULT_LOCAL_URL
              + ").")
  String pgUrl;

  /** The flag's URL, else FRESHET_PG_URL's, else the local default; checked to be a JDBC URL. */
  Setting resolve(Map<String, String> env) {
    Setting s = Setting.resolve(pgUrl, "--pg-url", "FRESHET_PG_URL", env);
    if (s == null) {
      return new Setting(PostgresEndpoint.DEFAULT_LOCAL_URL, "the default");
    }
    if (!s.value().startsWith("jdbc:postgresql:")) {
      throw new UsageException(
          s.source()
              + " is '"
              + s.value()
              + "', not a Postgres JDBC URL (expected e.g. "
              + PostgresEndpoint.DEFAULT_LOCAL_URL
              + "&password=...)");
    }
    return s;
  }

  /** A JDBC URL without its password, for printing. */
  static String display(String jdbcUrl) {
    return StoreUrls.redact(jdbcUrl);
  }
}
