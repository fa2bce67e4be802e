package io.freshet.deploy.cli;

import java.net.URI;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --flink}: the REST endpoint of a Flink cluster. */
final class FlinkOption {
  @Option(
      names = "--flink",
      paramLabel = "<rest-url>",
      description = "Flink cluster's REST API, e.g. http://flink:8081 (default: FRESHET_FLINK).")
  String flinkUrl;

  /** The flag's URL, else FRESHET_FLINK's, else null; checked to be an http(s) URL. */
  Setting resolve(Map<String, String> env) {
    Setting s = Setting.resolve(flinkUrl, "--flink", "FRESHET_FLINK", env);
    if (s != null) {
      URI uri;
      try {
        uri = URI.create(s.value());
      } catch (IllegalArgumentException e) {
        uri = null;
      }
      if (uri == null
          || uri.getHost() == null
          || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        throw new UsageException(
            s.source()
                + " is '"
                + s.value()
                + "', not the URL of a Flink REST API (expected e.g. http://localhost:8081)");
      }
    }
    return s;
  }
}
