package io.freshet.deploy.stack;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started by the command with its own classpath (a folder of jars Maven copied), its output
 * in a log file, and {@code ParentWatchdog} as its main class, so that it exits on its own when
 * this JVM dies. {@link #close()} stops it with SIGTERM and, after a grace period, SIGKILL.
 */
public final class ChildJvm implements AutoCloseable {
  static final String WATCHDOG_MAIN = "io.freshet.deploy.watchdog.ParentWatchdog";

  /**
   * The module opens a Flink process needs on Java 17, as a Flink distribution's {@code
   * env.java.opts.all} sets them.
   */
  public static final List<String> FLINK_JAVA_OPTS =
      List.of(
          "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=java.base/java.text=ALL-UNNAMED",
          "--add-opens=java.base/java.time=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  private final String name;
  private final Process process;
  private final Path outputFile;

  private ChildJvm(String name, Process process, Path outputFile) {
    this.name = name;
    this.process = process;
    this.outputFile = outputFile;
  }

  /**
   * Starts {@code mainClass} in a new JVM.
   *
   * @param name a short name for messages, e.g. "Flink JobManager"
   * @param classpathDir the folder whose jars make the classpath (it must hold the watchdog jar)
   * @param jvmArgs JVM options, e.g. {@code -Xmx512m}
   * @param mainClass the class whose {@code main} runs
   * @param args its program arguments
   * @param outputFile where stdout and stderr go (appended)
   */
  public static ChildJvm start(
      String name,
      Path classpathDir,
      List<String> jvmArgs,
      String mainClass,
      List<String> args,
      Path outputFile) {
    return start(name, List.of(classpathDir), jvmArgs, mainClass, args, outputFile);
  }

  /**
   * Starts {@code mainClass} in a new JVM whose classpath is made of several entries.
   *
   * @param classpath jar files (names ending in {@code .jar}) and folders, each standing for the
   *     jars in it; one of them must hold the watchdog jar
   */
  public static ChildJvm start(
      String name,
      List<Path> classpath,
      List<String> jvmArgs,
      String mainClass,
      List<String> args,
      Path outputFile) {
    List<String> command = command(classpath, jvmArgs, mainClass, args);
    try {
      Files.createDirectories(outputFile.getParent());
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(outputFile.toFile()));
      return new ChildJvm(name, pb.start(), outputFile);
    } catch (IOException e) {
      throw new StackException("could not start the " + name + ": " + e.getMessage(), e);
    }
  }

  /** Runs {@code mainClass} to completion and returns its output; fails on a non-zero exit. */
  public static String run(
      String name,
      Path classpathDir,
      List<String> jvmArgs,
      String mainClass,
      List<String> args,
      Path outputFile,
      Duration timeout) {
    return run(name, List.of(classpathDir), jvmArgs, mainClass, args, outputFile, timeout);
  }

  /**
   * Runs {@code mainClass} to completion on a classpath of several entries (as {@link
   * #start(String, List, List, String, List, Path)}) and returns its output; fails on a non-zero
   * exit.
   */
  public static String run(
      String name,
      List<Path> classpath,
      List<String> jvmArgs,
      String mainClass,
      List<String> args,
      Path outputFile,
      Duration timeout) {
    try (ChildJvm jvm = start(name, classpath, jvmArgs, mainClass, args, outputFile)) {
      long before = jvm.outputLength();
      if (!jvm.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new StackException(
            "the "
                + name
                + " did not finish within "
                + timeout.toSeconds()
                + " s; see "
                + outputFile);
      }
      String output = jvm.outputSince(before);
      if (jvm.process.exitValue() != 0) {
        throw new StackException(
            "the "
                + name
                + " failed with exit code "
                + jvm.process.exitValue()
                + "; see "
                + outputFile
                + "\n"
                + tail(output, 20));
      }
      return output;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while waiting for the " + name, e);
    }
  }

  static List<String> command(
      Path classpathDir, List<String> jvmArgs, String mainClass, List<String> args) {
    return command(List.of(classpathDir), jvmArgs, mainClass, args);
  }

  static List<String> command(
      List<Path> classpath, List<String> jvmArgs, String mainClass, List<String> args) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvmArgs);
    command.add("-cp");
    List<String> entries = new ArrayList<>();
    for (Path p : classpath) {
      Path abs = p.toAbsolutePath();
      boolean jar = abs.getFileName().toString().endsWith(".jar");
      entries.add(jar ? abs.toString() : abs + File.separator + "*");
    }
    command.add(String.join(File.pathSeparator, entries));
    command.add(WATCHDOG_MAIN);
    command.add(Long.toString(ProcessHandle.current().pid()));
    command.add(mainClass);
    command.addAll(args);
    return command;
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code of the exited process. */
  public int exitCode() {
    return process.exitValue();
  }

  public Path outputFile() {
    return outputFile;
  }

  /** Fails with the end of the output file when the process has exited. */
  public void requireAlive() {
    if (!process.isAlive()) {
      throw new StackException(
          "the "
              + name
              + " exited with code "
              + process.exitValue()
              + "; see "
              + outputFile
              + "\n"
              + tail(readOutput(), 20));
    }
  }

  /** The last lines of the output file, for error messages. */
  public String tailOfOutput(int lines) {
    return tail(readOutput(), lines);
  }

  /** Stops the process: SIGTERM, up to 30 s for a clean exit, then SIGKILL. */
  @Override
  public void close() {
    stop(Duration.ofSeconds(30));
  }

  /** Stops the process: SIGTERM, up to {@code grace} for a clean exit, then SIGKILL. */
  public void stop(Duration grace) {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private long outputLength() {
    try {
      return Files.exists(outputFile) ? Files.size(outputFile) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  private String outputSince(long offset) {
    byte[] bytes = readBytes();
    if (offset >= bytes.length) {
      return "";
    }
    return new String(bytes, (int) offset, bytes.length - (int) offset, StandardCharsets.UTF_8);
  }

  private String readOutput() {
    return new String(readBytes(), StandardCharsets.UTF_8);
  }

  private byte[] readBytes() {
    try {
      return Files.readAllBytes(outputFile);
    } catch (IOException e) {
      return new byte[0];
    }
  }

  static String tail(String text, int lines) {
    String[] all = text.split("\n", -1);
    int from = Math.max(0, all.length - lines - 1);
    return String.join("\n", List.of(all).subList(from, all.length)).stripTrailing();
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}
