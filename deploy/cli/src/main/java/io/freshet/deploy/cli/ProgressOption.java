package io.freshet.deploy.cli;

import io.freshet.deploy.progress.Progress;
import io.freshet.deploy.progress.ProgressRenderer;
import io.freshet.deploy.progress.ProgressStyle;
import io.freshet.deploy.progress.ProgressTicker;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * {@code --progress} and {@code --progress-interval}: how a long command shows its progress on
 * standard error, so that what it prints on standard output stays as it was.
 */
final class ProgressOption {
  /** How often a bar is redrawn. */
  static final Duration BAR_EVERY = Duration.ofMillis(250);

  static final Duration LINES_EVERY = Duration.ofSeconds(5);

  @Option(
      names = "--progress",
      defaultValue = "auto",
      paramLabel = "<auto|bar|lines|none>",
      description =
          "How progress is shown on standard error: a bar redrawn in place, plain lines every"
              + " --progress-interval ending with a summary, or none; auto (the default) draws a"
              + " bar in a terminal and lines elsewhere (a pipe, a CI log).")
  String style;

  @Option(
      names = "--progress-interval",
      converter = DurationConverter.class,
      paramLabel = "<duration>",
      description =
          "How often a plain progress line is printed (--progress lines, or auto outside a"
              + " terminal; default: 5s).")
  Duration interval;

  /** Whether the command runs in a terminal; tests put their own answer here. */
  BooleanSupplier terminal = ProgressStyle::inTerminal;

  ProgressStyle resolve() {
    try {
      return ProgressStyle.resolve(style, terminal);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--progress " + e.getMessage(), e);
    }
  }

  /** Starts showing what {@code source} reports on {@code err}; close it when the work ends. */
  ProgressTicker start(PrintWriter err, Supplier<List<Progress>> source) {
    ProgressStyle s = resolve();
    Duration every = interval == null ? LINES_EVERY : interval;
    if (every.isZero() || every.isNegative()) {
      throw new UsageException("--progress-interval must be positive, got " + every);
    }
    ProgressRenderer renderer = new ProgressRenderer(err, s, every, System::nanoTime);
    Duration poll =
        s == ProgressStyle.BAR ? BAR_EVERY : every.compareTo(BAR_EVERY) < 0 ? every : BAR_EVERY;
    return ProgressTicker.start(renderer, source, poll);
  }
}
