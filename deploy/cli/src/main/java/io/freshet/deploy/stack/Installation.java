package io.freshet.deploy.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where a Freshet checkout keeps what the command runs: the classpaths Maven copied for the child
 * processes, the job jar, and the {@code .freshet/} work directory. {@code deploy/bin/freshet}
 * passes the checkout's root as the system property {@code freshet.home}.
 */
public record Installation(Path home) {
  /** The system property naming the checkout's root. */
  public static final String HOME_PROPERTY = "freshet.home";

  public Installation {
    home = home.toAbsolutePath().normalize();
  }

  /** The installation named by {@value #HOME_PROPERTY}. */
  public static Installation fromSystemProperties() {
    String home = System.getProperty(HOME_PROPERTY);
    if (home == null || home.isBlank()) {
      throw new StackException(
          "system property "
              + HOME_PROPERTY
              + " is not set: run the command as deploy/bin/freshet, which sets it");
    }
    return new Installation(Path.of(home));
  }

  /** The classpath of the Flink JobManager and TaskManager. */
  public Path flinkClasspath() {
    return requireClasspath(home.resolve("deploy/flink-runtime/target/lib"), "Flink");
  }

  /** The classpath of the Kafka broker. */
  public Path kafkaClasspath() {
    return requireClasspath(home.resolve("deploy/kafka-runtime/target/lib"), "Kafka");
  }

  /** The streaming job's shaded jar, {@code flink-jobs/target/flink-jobs-<version>-job.jar}. */
  public Path jobJar() {
    Path target = home.resolve("flink-jobs/target");
    List<Path> jars = List.of();
    if (Files.isDirectory(target)) {
      try (Stream<Path> s = Files.list(target)) {
        jars =
            s.filter(p -> p.getFileName().toString().matches("flink-jobs-.*-job\\.jar"))
                .sorted()
                .toList();
      } catch (IOException e) {
        throw new StackException("could not list " + target + ": " + e.getMessage(), e);
      }
    }
    if (jars.isEmpty()) {
      throw new StackException(
          "the job jar is missing (no flink-jobs-*-job.jar in "
              + target
              + "): build it with deploy/bin/freshet build, or name one with --job-jar");
    }
    return jars.get(jars.size() - 1);
  }

  /** The work directory for logs, data and configuration of local runs. */
  public Path workDir() {
    return home.resolve(".freshet");
  }

  private static Path requireClasspath(Path dir, String what) {
    boolean ok;
    try (Stream<Path> s = Files.isDirectory(dir) ? Files.list(dir) : Stream.empty()) {
      ok = s.anyMatch(p -> p.getFileName().toString().startsWith("deploy-watchdog"));
    } catch (IOException e) {
      ok = false;
    }
    if (!ok) {
      throw new StackException(
          "the "
              + what
              + " classpath is missing or incomplete ("
              + dir
              + "): build it with deploy/bin/freshet build");
    }
    return dir;
  }
}
