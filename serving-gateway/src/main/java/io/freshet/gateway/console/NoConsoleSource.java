package io.freshet.gateway.console;

import io.freshet.plan.ViewPlan;
import java.util.List;

/** The console source of a gateway started without Postgres or Flink. */
enum NoConsoleSource implements ConsoleSource {
  INSTANCE;

  /** What the console says when the offline store is not configured. */
  static final String NO_POSTGRES =
      "no offline store configured (start the gateway with a Postgres URL: freshet serve"
          + " --pg-url, or FRESHET_PG_URL)";

  /** What the console says when no Flink cluster is configured. */
  static final String NO_FLINK =
      "no Flink cluster configured (start the gateway with its REST URL: freshet serve --flink,"
          + " or FRESHET_FLINK)";

  @Override
  public Freshness freshness(ViewPlan plan) throws ConsoleUnavailableException {
    throw new ConsoleUnavailableException(NO_POSTGRES);
  }

  @Override
  public Rejections rejected(String viewName, int sampleLimit) throws ConsoleUnavailableException {
    throw new ConsoleUnavailableException(NO_POSTGRES);
  }

  @Override
  public List<Job> jobs() throws ConsoleUnavailableException {
    throw new ConsoleUnavailableException(NO_FLINK);
  }

  @Override
  public String toString() {
    return "console: no offline store, no Flink";
  }
}
