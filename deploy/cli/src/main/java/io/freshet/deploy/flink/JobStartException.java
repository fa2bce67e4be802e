package io.freshet.deploy.flink;

import java.util.List;

/** A job that failed, or began to restart, while it was starting; carries Flink's reason. */
public final class JobStartException extends FlinkRestException {
  private static final long serialVersionUID = 1L;

  private final String jobId;
  private final String state;
  private final List<JobFailure> failures;

  JobStartException(String jobId, String jobName, String state, List<JobFailure> failures) {
    super(describe(jobId, jobName, state, failures), 200, reasons(failures), null);
    this.jobId = jobId;
    this.state = state;
    this.failures = List.copyOf(failures);
  }

  public String jobId() {
    return jobId;
  }

  /** The job's state when the failure was seen, e.g. RESTARTING. */
  public String state() {
    return state;
  }

  /** The failures Flink recorded, newest first; may be empty when Flink gave no reason. */
  public List<JobFailure> failures() {
    return failures;
  }

  private static String describe(
      String jobId, String jobName, String state, List<JobFailure> failures) {
    StringBuilder sb =
        new StringBuilder("job ")
            .append(jobId)
            .append(" \"")
            .append(jobName)
            .append("\" failed while starting (state ")
            .append(state)
            .append(", ")
            .append(failures.size())
            .append(failures.size() == 1 ? " failure" : " failures")
            .append(" in its exception history)");
    if (failures.isEmpty()) {
      sb.append("; Flink recorded no reason");
    } else {
      JobFailure f = failures.get(failures.size() - 1);
      sb.append(". Flink's reason")
          .append(f.taskName().isEmpty() ? "" : " (task " + f.taskName() + ")")
          .append(":\n  ")
          .append(f.reason());
    }
    return sb.toString();
  }

  private static List<String> reasons(List<JobFailure> failures) {
    return failures.stream().map(JobFailure::stacktrace).toList();
  }
}
