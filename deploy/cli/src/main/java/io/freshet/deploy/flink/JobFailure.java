package io.freshet.deploy.flink;

import java.util.List;

/**
 * One entry of a job's exception history ({@code GET /jobs/{jobId}/exceptions}).
 *
 * @param timestamp when Flink recorded the failure, epoch milliseconds
 * @param taskName the task that failed, or "" for a failure of the job as a whole
 * @param stacktrace the exception as Flink printed it
 */
public record JobFailure(long timestamp, String taskName, String stacktrace) {
  /**
   * The exception's first line, followed by its innermost cause when it has one: what a person
   * reads first, e.g. {@code org.apache.flink.util.FlinkException: Global failure triggered by
   * OperatorCoordinator ... caused by: org.apache.kafka...UnknownTopicOrPartitionException: ...}.
   */
  public String reason() {
    List<String> lines = stacktrace.strip().lines().toList();
    if (lines.isEmpty()) {
      return "(Flink recorded no message)";
    }
    String first = lines.get(0).strip();
    String root = null;
    for (String l : lines) {
      if (l.strip().startsWith("Caused by: ")) {
        root = l.strip().substring("Caused by: ".length());
      }
    }
    return root == null || root.equals(first) ? first : first + "\n    caused by: " + root;
  }
}
