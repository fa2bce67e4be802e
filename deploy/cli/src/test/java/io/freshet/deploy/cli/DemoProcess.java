package io.freshet.deploy.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code deploy/bin/freshet demo} running in the background as a person runs it in a terminal: its
 * own process, its output in a file, stopped as Ctrl-C would stop it (a signal, then the demo's own
 * teardown).
 */
final class DemoProcess implements AutoCloseable {
  private final Process process;
  private final Path output;

  private DemoProcess(Process process, Path output) {
    this.process = process;
    this.output = output;
  }

  /** Starts the demo with {@code args}, its output going to {@code output}. */
  static DemoProcess start(Path output, String... args) throws IOException {
    return start(output, Map.of(), args);
  }

  /** Starts the demo with {@code args} and the variables {@code env} added to its environment. */
  static DemoProcess start(Path output, Map<String, String> env, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Wrapper.script().toString());
    command.add("demo");
    command.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    pb.environment().put("FRESHET_BUILD", "never");
    pb.environment().remove("FRESHET_REBUILD");
    pb.environment().putAll(env);
    return new DemoProcess(pb.start(), output);
  }

  /** What the demo printed so far. */
  String output() throws IOException {
    return Files.readString(output, StandardCharsets.UTF_8);
  }

  /**
   * Waits until the output matches {@code pattern} and returns the match's first group (or the
   * whole match when it has none).
   *
   * @throws AssertionError when the demo ends first or {@code limit} passes, with its output
   */
  String await(Pattern pattern, Duration limit) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      String out = output();
      Matcher m = pattern.matcher(out);
      if (m.find()) {
        return m.groupCount() > 0 ? m.group(1) : m.group();
      }
      if (!process.isAlive()) {
        throw new AssertionError(
            "the demo ended (exit "
                + process.exitValue()
                + ") before printing "
                + pattern
                + ":\n"
                + out);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "the demo did not print " + pattern + " within " + limit + ":\n" + out);
      }
      Thread.sleep(250);
    }
  }

  /**
   * Stops the demo with SIGTERM (its stop path is the one Ctrl-C takes) and waits for it to end;
   * true when it reported a clean stop.
   */
  boolean stop(Duration limit) throws IOException, InterruptedException {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      children.forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor();
      return false;
    }
    long deadline = System.nanoTime() + limit.toNanos();
    while (children.stream().anyMatch(ProcessHandle::isAlive)) {
      if (System.nanoTime() > deadline) {
        children.forEach(ProcessHandle::destroyForcibly);
        return false;
      }
      Thread.sleep(100);
    }
    return output().contains("Everything the demo started is stopped.");
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      stop(Duration.ofMinutes(3));
    }
  }
}
