package io.freshet.deploy.flink;

import java.util.List;
import java.util.stream.Collectors;

/** A job as {@code GET /jobs/{jobId}} describes it. */
public record JobDetails(String id, String name, String state, List<Vertex> vertices) {
  public JobDetails {
    vertices = List.copyOf(vertices);
  }

  /** One vertex of the job graph (a chain of operators) and its aggregated task state. */
  public record Vertex(String name, String status, int parallelism) {}

  /** True when the job and every one of its vertices is RUNNING. */
  public boolean allRunning() {
    return "RUNNING".equals(state)
        && !vertices.isEmpty()
        && vertices.stream().allMatch(v -> "RUNNING".equals(v.status()));
  }

  /** The vertices' states, e.g. {@code [Source: user-events=RUNNING, ...]}. */
  public String vertexStates() {
    return vertices.stream()
        .map(v -> v.name() + "=" + v.status())
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
