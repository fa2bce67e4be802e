package io.freshet.deploy.stack;

import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.deploy.flink.JobSummary;
import io.freshet.flink.job.JobContract;
import io.freshet.gateway.console.ConsoleSource;
import io.freshet.gateway.console.ConsoleUnavailableException;
import io.freshet.offline.ViewHealth;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.StoreUrls;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The gateway console's view of a deployment: freshness and rejected events from the offline store
 * in Postgres, job states from the Flink cluster's REST API. Either may be absent; the console then
 * says which option gives it. Thread-safe: every call opens what it reads.
 */
public final class ConsoleSources implements ConsoleSource {
  private final String jdbcUrl;
  private final FlinkRestClient flink;

  private ConsoleSources(String jdbcUrl, FlinkRestClient flink) {
    this.jdbcUrl = jdbcUrl;
    this.flink = flink;
  }

  /**
   * A source reading the Postgres at {@code jdbcUrl} and the Flink cluster behind {@code flink};
   * either may be null (not configured).
   */
  public static ConsoleSource of(String jdbcUrl, FlinkRestClient flink) {
    return new ConsoleSources(jdbcUrl, flink);
  }

  @Override
  public Freshness freshness(ViewPlan plan) throws ConsoleUnavailableException {
    ViewHealth.Freshness f = ViewHealth.freshness(postgres(), plan);
    return new Freshness(
        f.table(), f.newestFeatureTs(), f.newestCommitAt(), f.rowsInNewestCommit(), f.note());
  }

  @Override
  public Rejections rejected(String viewName, int sampleLimit) throws ConsoleUnavailableException {
    ViewHealth.Rejected r = ViewHealth.rejected(postgres(), viewName, sampleLimit);
    return new Rejections(
        r.total(),
        r.byReason().stream().map(c -> new ReasonCount(c.kind(), c.reason(), c.count())).toList(),
        r.samples().stream()
            .map(
                s ->
                    new Sample(
                        s.kind(), s.reason(), s.origin(), s.payload(), s.eventTs(), s.receivedAt()))
            .toList());
  }

  @Override
  public List<Job> jobs() throws ConsoleUnavailableException {
    if (flink == null) {
      throw new ConsoleUnavailableException(
          "no Flink cluster configured (give freshet serve --flink <rest-url>, or set"
              + " FRESHET_FLINK, e.g. http://localhost:8081)");
    }
    List<JobSummary> jobs = flink.jobs();
    return jobs.stream()
        .map(
            j ->
                new Job(
                    j.id(),
                    j.name(),
                    j.state(),
                    Instant.ofEpochMilli(j.startTime()),
                    JobContract.viewsOfJob(j.name())))
        .toList();
  }

  @Override
  public Optional<String> flinkRestUrl() {
    return flink == null ? Optional.empty() : Optional.of(flink.baseUri().toString());
  }

  private String postgres() throws ConsoleUnavailableException {
    if (jdbcUrl == null) {
      throw new ConsoleUnavailableException(
          "no offline store configured (give freshet serve --pg-url <jdbc-url> or --registry, or"
              + " set FRESHET_PG_URL)");
    }
    return jdbcUrl;
  }

  @Override
  public String toString() {
    return "console: offline store "
        + (jdbcUrl == null ? "none" : StoreUrls.redact(jdbcUrl))
        + ", Flink "
        + (flink == null ? "none" : flink.baseUri());
  }
}
