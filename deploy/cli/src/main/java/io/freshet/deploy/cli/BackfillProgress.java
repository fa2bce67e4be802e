package io.freshet.deploy.cli;

import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.deploy.flink.JobRecords;
import io.freshet.deploy.flink.JobSummary;
import io.freshet.deploy.flink.VertexRecords;
import io.freshet.deploy.progress.Progress;
import java.net.URI;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Reads a backfill's progress from the REST endpoint of the Flink that runs it, a cluster's or a
 * local run's, the same way: the events read are the records the job's source vertices handed on
 * ({@code write-records}: each event once, decoded or rejected), summed over the sources (one per
 * view). The share done is known when the events in all are known up front: the lines of a
 * JSON-lines input (read once per view), or the offsets of each view's Kafka range. Once the job
 * has ended, the last reading stands and {@code onEnded} runs (a local run's endpoint may then go).
 *
 * <p>Polled by one thread at a time ({@link io.freshet.deploy.progress.ProgressTicker}).
 */
final class BackfillProgress {
  static final String TASK = "events read";
  static final String UNIT = "events";

  private final Supplier<URI> endpoint;
  private final String knownJobId;
  private final long total;
  private final Runnable onEnded;

  private FlinkRestClient client;
  private String jobId;
  private boolean ended;
  private List<Progress> last = List.of();

  /**
   * @param endpoint the REST endpoint, or null while it is not known yet (a local run starting)
   * @param jobId the job's id, or null for the only job the endpoint knows (a local run's)
   * @param total the events all sources read together, or {@link Progress#UNKNOWN}
   * @param onEnded what to do once the job ended and its final counts were read
   */
  BackfillProgress(Supplier<URI> endpoint, String jobId, long total, Runnable onEnded) {
    this.endpoint = endpoint;
    this.knownJobId = jobId;
    this.jobId = jobId;
    this.total = total;
    this.onEnded = onEnded;
  }

  /** The progress as it stands: nothing until the job is found, then the events read. */
  List<Progress> poll() {
    if (ended) {
      return last;
    }
    if (client == null) {
      URI uri = endpoint.get();
      if (uri == null) {
        return last;
      }
      client = new FlinkRestClient(uri);
    }
    if (jobId == null) {
      List<JobSummary> jobs = client.jobs();
      if (jobs.isEmpty()) {
        return last;
      }
      jobId = jobs.get(0).id();
    }
    JobRecords job = client.records(jobId);
    List<VertexRecords> sources = job.sources();
    if (sources.isEmpty()) {
      return last;
    }
    long done = sources.stream().mapToLong(VertexRecords::recordsOut).sum();
    // the sources' counts are final once each source vertex finished: in batch mode that is
    // before the windows fire and the sinks write
    boolean read =
        "FINISHED".equals(job.state())
            || sources.stream().allMatch(v -> "FINISHED".equals(v.status()));
    Progress p =
        read
            ? Progress.finished(TASK, UNIT, done, total)
            : Progress.running(TASK, UNIT, done, total);
    if (sources.size() > 1) {
      p =
          p.withDetail(
              sources.size()
                  + " sources (one per view): "
                  + sources.stream()
                      .map(v -> String.format(java.util.Locale.ROOT, "%,d", v.recordsOut()))
                      .collect(Collectors.joining(" + ")));
    }
    last = List.of(p);
    if (job.ended()) {
      ended = true;
      onEnded.run();
    }
    return last;
  }

  /** The job this reads, once found; the id given, or the local endpoint's only job. */
  String jobId() {
    return jobId != null ? jobId : knownJobId;
  }
}
