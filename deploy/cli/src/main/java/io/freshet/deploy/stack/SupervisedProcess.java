package io.freshet.deploy.stack;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * A child JVM of the local stack under supervision: down when its process has exited, restarted by
 * the owner's own restart method (which keeps ports, configuration and data folders), so that the
 * owner also stops the replacement when it closes.
 */
public final class SupervisedProcess implements Supervised {
  private final String name;
  private final Supplier<ChildJvm> restart;
  private volatile ChildJvm current;

  /**
   * @param current the running process
   * @param restart starts a replacement and returns it, e.g. {@link KafkaBroker#restart()}
   */
  public SupervisedProcess(String name, ChildJvm current, Supplier<ChildJvm> restart) {
    this.name = name;
    this.current = current;
    this.restart = restart;
  }

  /** The cluster's JobManager. */
  public static SupervisedProcess jobManager(FlinkSessionCluster cluster) {
    return new SupervisedProcess(
        "Flink JobManager", cluster.jobManager(), cluster::restartJobManager);
  }

  /** One TaskManager of the cluster, replaced by a new TaskManager when it dies. */
  public static SupervisedProcess taskManager(FlinkSessionCluster cluster, ChildJvm taskManager) {
    return new SupervisedProcess(taskManager.name(), taskManager, cluster::startTaskManager);
  }

  /** The broker, restarted on its port and log directory. */
  public static SupervisedProcess kafkaBroker(KafkaBroker broker) {
    return new SupervisedProcess("Kafka broker", broker.process(), broker::restart);
  }

  @Override
  public String name() {
    return name;
  }

  /** The process started last. */
  public ChildJvm current() {
    return current;
  }

  @Override
  public Optional<String> failure() {
    if (current.isAlive()) {
      return Optional.empty();
    }
    return Optional.of(
        "pid "
            + current.pid()
            + " "
            + exitCause(current.exitCode())
            + "; its output is in "
            + current.outputFile().getParent());
  }

  @Override
  public String restart() {
    current = restart.get();
    return "pid " + current.pid();
  }

  /** "exited with code 1", or "was killed by SIGKILL (exit code 137)" for a death by signal. */
  static String exitCause(int code) {
    if (code > 128 && code < 160) {
      return "was killed by " + signalName(code - 128) + " (exit code " + code + ")";
    }
    return "exited with code " + code;
  }

  private static String signalName(int signal) {
    return switch (signal) {
      case 1 -> "SIGHUP";
      case 2 -> "SIGINT";
      case 6 -> "SIGABRT";
      case 9 -> "SIGKILL";
      case 11 -> "SIGSEGV";
      case 15 -> "SIGTERM";
      default -> "signal " + signal;
    };
  }
}
