package io.freshet.deploy.cli;

import io.freshet.deploy.progress.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The lines of a JSON-lines backfill input, counted up front in one sequential read, for the share
 * of a backfill done: each line is one record of Flink's file source (a line ends at LF, CR or
 * CRLF; a last line without one counts). A folder's files are counted as the source reads them:
 * every file below it whose name does not start with '.' or '_'. Unknown for a compressed file (the
 * source inflates it) or an input this machine cannot read (a path on the cluster's TaskManagers).
 */
final class InputLines {
  private static final List<String> COMPRESSED =
      List.of(".gz", ".gzip", ".bz2", ".xz", ".deflate", ".zst", ".zstd");

  private InputLines() {}

  /** The lines of the file, or of the folder's files; {@link Progress#UNKNOWN} if not countable. */
  static long count(Path input) {
    try {
      if (Files.isRegularFile(input)) {
        return compressed(input) ? Progress.UNKNOWN : lines(input);
      }
      if (!Files.isDirectory(input)) {
        return Progress.UNKNOWN;
      }
      long total = 0;
      try (Stream<Path> files = Files.walk(input)) {
        for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
          if (hidden(input, f)) {
            continue;
          }
          if (compressed(f)) {
            return Progress.UNKNOWN;
          }
          total += lines(f);
        }
      }
      return total;
    } catch (IOException e) {
      return Progress.UNKNOWN;
    }
  }

  private static boolean hidden(Path root, Path file) {
    for (Path part : root.relativize(file)) {
      String name = part.toString();
      if (name.startsWith(".") || name.startsWith("_")) {
        return true;
      }
    }
    return false;
  }

  private static boolean compressed(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return COMPRESSED.stream().anyMatch(name::endsWith);
  }

  static long lines(Path file) throws IOException {
    long lines = 0;
    int previous = -1;
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        for (int i = 0; i < n; i++) {
          byte b = buf[i];
          if (b == '\n') {
            if (previous != '\r') {
              lines++;
            }
          } else if (b == '\r') {
            lines++;
          }
          previous = b;
        }
      }
    }
    return previous == -1 || previous == '\n' || previous == '\r' ? lines : lines + 1;
  }
}
