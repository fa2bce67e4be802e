package io.freshet.deploy.flink;

/**
 * The records one vertex of a job has handled, as {@code GET /jobs/{jobId}} reports them: summed
 * over its subtasks, final for the subtasks that ended and as of the cluster's last metrics fetch
 * ({@code metrics.fetcher.update-interval}) for those still running.
 *
 * @param id the vertex id
 * @param name the vertex name, its chained operators' names joined, e.g. {@code Source: file: ...
 *     -> decode ...}
 * @param status e.g. RUNNING, FINISHED
 * @param recordsIn records received from upstream vertices ({@code read-records})
 * @param recordsOut records handed to downstream vertices ({@code write-records})
 */
public record VertexRecords(
    String id, String name, String status, long recordsIn, long recordsOut) {
  /** Whether the vertex begins with a source operator. */
  public boolean isSource() {
    return name.startsWith("Source: ");
  }
}
