package io.freshet.deploy.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** How the JVMs the command starts end: with their parent, not with a stray Ctrl-C. */
class ChildJvmIT {
  private static final String JAVA =
      Path.of(System.getProperty("java.home"), "bin", "java").toString();

  @Test
  void a_child_exits_when_its_parent_is_killed_hard() throws Exception {
    String classpath = watchdogJar() + File.pathSeparator + testClasses();
    // A shell stands in for the freshet command: it starts a watched child, then gets SIGKILL.
    Process parent =
        new ProcessBuilder(
                "bash",
                "-c",
                "'"
                    + JAVA
                    + "' -Xmx32m -cp '"
                    + classpath
                    + "' "
                    + ChildJvm.WATCHDOG_MAIN
                    + " $$ "
                    + SleepForever.class.getName()
                    + " & echo $!; wait")
            .redirectErrorStream(true)
            .start();
    long childPid;
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
      childPid = Long.parseLong(r.readLine().strip());
      Thread.sleep(1500);
      assertThat(alive(childPid)).as("child running under a live parent").isTrue();

      parent.destroyForcibly().waitFor();
      assertThat(awaitGone(childPid, Duration.ofSeconds(15))).as("child gone").isTrue();
    }
  }

  @Test
  void a_child_ignores_sigint_and_stops_on_sigterm() throws Exception {
    Path dir = Files.createTempDirectory("freshet-child");
    Path lib = Files.createDirectories(dir.resolve("lib"));
    Files.copy(watchdogJar(), lib.resolve("deploy-watchdog.jar"));
    Path classes = testClasses();
    Path target = lib.resolve("test-classes.jar");
    try (var jar = new java.util.jar.JarOutputStream(Files.newOutputStream(target))) {
      String name = SleepForever.class.getName().replace('.', '/') + ".class";
      jar.putNextEntry(new java.util.jar.JarEntry(name));
      jar.write(Files.readAllBytes(classes.resolve(name)));
      jar.closeEntry();
    }
    ChildJvm child =
        ChildJvm.start(
            "sleeper",
            lib,
            java.util.List.of("-Xmx32m"),
            SleepForever.class.getName(),
            java.util.List.of(),
            dir.resolve("sleeper.out"));
    try {
      // The watchdog ignores SIGINT from its first line on; a SIGINT that comes before the JVM got
      // there ends it, and a loaded machine can take seconds to start a JVM.
      awaitLine(dir.resolve("sleeper.out"), SleepForever.SLEEPING, Duration.ofSeconds(60));
      new ProcessBuilder("kill", "-INT", Long.toString(child.pid())).start().waitFor();
      Thread.sleep(1000);
      assertThat(child.isAlive()).as("alive after SIGINT").isTrue();
    } finally {
      child.stop(Duration.ofSeconds(10));
    }
    assertThat(child.isAlive()).as("alive after SIGTERM").isFalse();
  }

  private static void awaitLine(Path file, String line, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!(Files.exists(file) && Files.readAllLines(file).contains(line))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "the child wrote no line '" + line + "' to " + file + " within " + timeout);
      }
      Thread.sleep(50);
    }
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private static boolean awaitGone(long pid, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!alive(pid)) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

  static Path watchdogJar() throws Exception {
    Path lib = Installation.fromSystemProperties().kafkaClasspath();
    try (Stream<Path> s = Files.list(lib)) {
      Optional<Path> jar =
          s.filter(p -> p.getFileName().toString().startsWith("deploy-watchdog")).findFirst();
      return jar.orElseThrow();
    }
  }

  private static Path testClasses() throws Exception {
    return Path.of(SleepForever.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }
}
