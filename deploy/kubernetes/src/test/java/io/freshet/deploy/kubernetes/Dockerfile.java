package io.freshet.deploy.kubernetes;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A Dockerfile read the way the builder reads it, as far as the checks need: comments and parser
 * directives dropped, continuation lines joined, instructions grouped into stages by {@code FROM}.
 * No heredocs, no variable substitution.
 */
record Dockerfile(String name, List<Stage> stages) {

  /** One instruction, e.g. {@code COPY --chown=flink:flink a.jar /opt/}. */
  record Instruction(int line, String keyword, String arguments) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The JSON exec form ({@code ["java", "-cp", ...]}), or empty for the shell form. */
    Optional<List<String>> execForm() {
      if (!arguments.startsWith("[")) {
        return Optional.empty();
      }
      try {
        return Optional.of(JSON.readValue(arguments, new TypeReference<List<String>>() {}));
      } catch (Exception e) {
        return Optional.empty();
      }
    }

    /** The arguments split on whitespace. */
    List<String> words() {
      return arguments.isBlank() ? List.of() : Arrays.asList(arguments.trim().split("\\s+"));
    }
  }

  /** {@code FROM image [AS alias]} and what follows it. */
  record Stage(String image, String alias, List<Instruction> instructions) {
    List<Instruction> all(String keyword) {
      return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    Optional<Instruction> last(String keyword) {
      List<Instruction> found = all(keyword);
      return found.isEmpty() ? Optional.empty() : Optional.of(found.get(found.size() - 1));
    }

    List<Copy> copies() {
      return all("COPY").stream().map(Copy::of).toList();
    }
  }

  /** {@code COPY [--from=stage] [--chown=...] src... dest}. */
  record Copy(int line, String from, List<String> sources, String destination) {
    static Copy of(Instruction instruction) {
      List<String> words = new ArrayList<>(instruction.words());
      String from = null;
      while (!words.isEmpty() && words.get(0).startsWith("--")) {
        String flag = words.remove(0);
        if (flag.startsWith("--from=")) {
          from = flag.substring("--from=".length());
        }
      }
      List<String> paths =
          instruction.execForm().orElse(words).stream().filter(w -> !w.startsWith("--")).toList();
      if (paths.size() < 2) {
        throw new IllegalArgumentException(
            "line " + instruction.line() + ": COPY needs a source and a destination");
      }
      return new Copy(
          instruction.line(),
          from,
          paths.subList(0, paths.size() - 1),
          paths.get(paths.size() - 1));
    }
  }

  Stage last() {
    return stages.get(stages.size() - 1);
  }

  /**
   * @throws IllegalArgumentException naming the line when an instruction comes before the first
   *     FROM (other than ARG) or a FROM has no image
   */
  static Dockerfile parse(String name, String text) {
    List<Stage> stages = new ArrayList<>();
    List<Instruction> current = null;
    String[] lines = text.split("\n", -1);
    StringBuilder pending = new StringBuilder();
    int start = 0;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].stripTrailing();
      if (line.stripLeading().startsWith("#")) {
        continue;
      }
      if (pending.isEmpty()) {
        if (line.isBlank()) {
          continue;
        }
        start = i + 1;
      }
      if (line.endsWith("\\")) {
        pending.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      pending.append(line);
      String instruction = pending.toString().trim();
      pending.setLength(0);
      int space = instruction.indexOf(' ');
      String keyword =
          (space < 0 ? instruction : instruction.substring(0, space)).toUpperCase(Locale.ROOT);
      String arguments = space < 0 ? "" : instruction.substring(space + 1).trim();
      if (keyword.equals("FROM")) {
        List<String> words =
            Arrays.stream(arguments.split("\\s+")).filter(w -> !w.startsWith("--")).toList();
        if (words.isEmpty() || words.get(0).isBlank()) {
          throw new IllegalArgumentException(name + ":" + start + ": FROM without an image");
        }
        String alias =
            words.size() >= 3 && words.get(1).equalsIgnoreCase("AS") ? words.get(2) : null;
        current = new ArrayList<>();
        stages.add(new Stage(words.get(0), alias, current));
      } else if (current == null) {
        if (!keyword.equals("ARG")) {
          throw new IllegalArgumentException(
              name + ":" + start + ": " + keyword + " before the first FROM");
        }
      } else {
        current.add(new Instruction(start, keyword, arguments));
      }
    }
    if (stages.isEmpty()) {
      throw new IllegalArgumentException(name + ": no FROM");
    }
    return new Dockerfile(name, List.copyOf(stages));
  }
}
