package io.freshet.deploy.flink;

/**
 * A job as {@code GET /jobs/overview} lists it.
 *
 * @param id the job id
 * @param name the job's name, e.g. {@code freshet: user_activity}
 * @param state e.g. RUNNING, FINISHED, CANCELED
 * @param startTime when the job started, epoch milliseconds
 */
public record JobSummary(String id, String name, String state, long startTime) {
  /** True while the job has not reached a final state. */
  public boolean isActive() {
    return !FlinkRestClient.TERMINAL.contains(state);
  }
}
