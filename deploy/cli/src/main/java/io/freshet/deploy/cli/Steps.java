package io.freshet.deploy.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** How the one-shot commands report progress: one aligned line per step, with its duration. */
final class Steps {
  private Steps() {}

  /** Prints {@code " name 1.2 s what"}. */
  static void step(PrintWriter out, String name, String what, long startNanos) {
    out.printf("  %-10s %5.1f s  %s%n", name, (System.nanoTime() - startNanos) / 1e9, what);
    out.flush();
  }

  /** Prints {@code " name what"}, for a step that took no time of its own. */
  static void note(PrintWriter out, String name, String what) {
    out.printf("  %-10s %7s  %s%n", name, "", what);
    out.flush();
  }

  /** Deletes a temporary folder and what it holds; what cannot be deleted is left. */
  static void deleteQuietly(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a temporary file left behind is harmless
    }
  }
}
