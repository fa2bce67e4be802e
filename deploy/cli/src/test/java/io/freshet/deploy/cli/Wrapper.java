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

/**
 * Runs {@code deploy/bin/freshet} as a person does: a separate process through the wrapper script,
 * with the build the integration tests run after. {@code FRESHET_BUILD=never} makes a missing build
 * an error instead of a Maven run inside a test.
 */
final class Wrapper {
  private Wrapper() {}

  /** The checkout's wrapper script. */
  static Path script() {
    Path home = Path.of(System.getProperty("freshet.home", "../..")).toAbsolutePath().normalize();
    Path script = home.resolve("deploy/bin/freshet");
    if (!Files.isExecutable(script)) {
      throw new IllegalStateException("no executable wrapper at " + script);
    }
    return script;
  }

  static Cli.Result run(Map<String, String> env, Duration timeout, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(script().toString());
    command.addAll(List.of(args));
    Path out = Files.createTempFile("freshet-out", ".txt");
    Path err = Files.createTempFile("freshet-err", ".txt");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      pb.environment().put("FRESHET_BUILD", "never");
      pb.environment().remove("FRESHET_REBUILD");
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor();
        throw new AssertionError(
            "freshet "
                + String.join(" ", args)
                + " did not end within "
                + timeout
                + "\n--- out\n"
                + Files.readString(out, StandardCharsets.UTF_8)
                + "--- err\n"
                + Files.readString(err, StandardCharsets.UTF_8));
      }
      return new Cli.Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
