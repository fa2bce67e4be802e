package io.freshet.deploy.stack;

import java.util.Optional;

/**
 * Something the local stack started and the {@link Supervisor} brings back when it dies: a child
 * JVM, the streaming job, the gateway. Called from the supervisor's thread only.
 */
public interface Supervised {
  /** A short name for the console, e.g. "Flink TaskManager". */
  String name();

  /**
   * Why it is down, e.g. "exited with code 137 (killed by SIGKILL)"; empty while it runs, and while
   * that cannot be told (a job whose JobManager is down).
   */
  Optional<String> failure();

  /**
   * Starts a replacement and says what it started, e.g. "pid 4242".
   *
   * @throws RuntimeException when it could not; the supervisor tries again later
   */
  String restart();
}
