package io.freshet.deploy.progress;

import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * How a command shows its progress: a bar redrawn in place on a terminal, plain periodic lines
 * where the output is kept (a pipe, a CI log), or nothing.
 */
public enum ProgressStyle {
  BAR,
  LINES,
  NONE;

  /**
   * The style an option value names: {@code bar}, {@code lines}, {@code none}, or {@code auto},
   * which is a bar when {@code terminal} says the command runs in one, else lines.
   *
   * @throws IllegalArgumentException naming the value and the ones allowed
   */
  public static ProgressStyle resolve(String option, BooleanSupplier terminal) {
    String s = option == null ? "auto" : option.strip().toLowerCase(Locale.ROOT);
    return switch (s) {
      case "auto" -> terminal.getAsBoolean() ? BAR : LINES;
      case "bar" -> BAR;
      case "lines" -> LINES;
      case "none" -> NONE;
      default ->
          throw new IllegalArgumentException(
              "'" + option + "' is not a progress style: write auto, bar, lines or none");
    };
  }

  /**
   * Whether the JVM runs in a terminal, as {@link System#console()} knows it (Java 17: both
   * standard input and output are a terminal).
   */
  public static boolean inTerminal() {
    return System.console() != null;
  }
}
