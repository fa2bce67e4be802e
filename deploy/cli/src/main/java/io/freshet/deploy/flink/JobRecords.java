package io.freshet.deploy.flink;

import java.util.List;

/** A job's state and the records its vertices handled, from {@code GET /jobs/{jobId}}. */
public record JobRecords(String id, String state, List<VertexRecords> vertices) {
  public JobRecords {
    vertices = List.copyOf(vertices);
  }

  /** True once the job has reached a final state (FINISHED, FAILED, CANCELED...). */
  public boolean ended() {
    return FlinkRestClient.TERMINAL.contains(state);
  }

  /** The vertices that begin with a source, in the job graph's order. */
  public List<VertexRecords> sources() {
    return vertices.stream().filter(VertexRecords::isSource).toList();
  }
}
