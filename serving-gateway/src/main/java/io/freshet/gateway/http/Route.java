package io.freshet.gateway.http;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Every route the gateway serves: its method, path template and the name it has in metrics. The
 * OpenAPI document describes exactly these.
 */
public enum Route {
  GET_ONLINE_FEATURES("POST", "/get-online-features", "get_online_features"),
  PUSH("POST", "/push", "push"),
  FEATURES("GET", "/features/{view}/{entity}", "features"),
  FEATURE_SERVICES("GET", "/feature-services/{name}/{entity}", "feature_services"),
  HEALTH("GET", "/health", "health"),
  READY("GET", "/ready", "ready"),
  METRICS("GET", "/metrics", "metrics"),
  OPENAPI("GET", "/openapi.json", "openapi"),
  CONSOLE("GET", "/console", "console"),
  CONSOLE_ASSET("GET", "/console/assets/{name}", "console_asset"),
  CONSOLE_CATALOG("GET", "/console/api/catalog", "console_catalog"),
  CONSOLE_VIEW("GET", "/console/api/views/{view}", "console_view"),
  CONSOLE_JOBS("GET", "/console/api/jobs", "console_jobs");

  /** The metrics name of requests that match no route. */
  static final String UNMATCHED = "unmatched";

  /** The metrics name of requests the HTTP decoder rejected. */
  static final String INVALID = "invalid";

  private final String method;
  private final String template;
  private final String metricName;

  Route(String method, String template, String metricName) {
    this.method = method;
    this.template = template;
    this.metricName = metricName;
  }

  public String method() {
    return method;
  }

  /** The path, with {@code {name}} for each path parameter. */
  public String template() {
    return template;
  }

  /** The {@code route} label of this route's request metrics. */
  public String metricName() {
    return metricName;
  }

  /**
   * Whether the route answers without a bearer token when auth is on: health, readiness, and the
   * console's page and assets (they hold no data; the console's API needs the token).
   */
  public boolean open() {
    return this == HEALTH || this == READY || this == CONSOLE || this == CONSOLE_ASSET;
  }

  /** "METHOD /template, ..." for messages. */
  static String list() {
    return Arrays.stream(values())
        .map(r -> r.method + " " + r.template)
        .collect(Collectors.joining(", "));
  }
}
