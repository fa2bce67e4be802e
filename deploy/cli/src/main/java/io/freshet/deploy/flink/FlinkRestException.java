package io.freshet.deploy.flink;

import java.util.List;

/**
 * A call to Flink's REST API that failed: the request, the HTTP status (0 when no answer came) and
 * what Flink said, so a person can see why without opening the JobManager log.
 */
public class FlinkRestException extends RuntimeException {
  private final int status;
  private final List<String> errors;

  public FlinkRestException(String message, int status, List<String> errors, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.errors = List.copyOf(errors);
  }

  /** The HTTP status, or 0 when the server did not answer. */
  public int status() {
    return status;
  }

  /** The {@code errors} Flink returned, often a stack trace in one string. */
  public List<String> errors() {
    return errors;
  }
}
