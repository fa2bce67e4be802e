package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.deploy.generator.EventGenerator;
import io.freshet.deploy.generator.UserEvent;
import io.freshet.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code freshet} command as a person types it: through {@code deploy/bin/freshet}, in its own
 * process, with the wrapper's argument handling in the way.
 */
class WrapperIT {
  private static final Duration HELP_TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void every_subcommand_prints_its_help_through_the_wrapper() throws Exception {
    Cli.Result top = Wrapper.run(Map.of(), HELP_TIMEOUT, "--help");
    assertThat(top.exitCode()).as(top.toString()).isZero();
    assertThat(top.out()).startsWith("Usage: freshet");

    List<String> names = new ArrayList<>(FreshetCommand.commandLine().getSubcommands().keySet());
    assertThat(names).contains("demo", "apply", "submit", "backfill", "training-set", "serve");
    for (String name : names) {
      Cli.Result help = Wrapper.run(Map.of(), HELP_TIMEOUT, name, "--help");
      assertThat(help.exitCode()).as(name + ": " + help).isZero();
      assertThat(help.out()).as(name).contains("Usage: freshet " + name);
      assertThat(help.err()).as(name).doesNotContain("building the project");
      assertThat(top.out()).as("freshet --help lists " + name).contains(name);
    }
    Cli.Result viaHelp = Wrapper.run(Map.of(), HELP_TIMEOUT, "help", "backfill");
    assertThat(viaHelp.exitCode()).as(viaHelp.toString()).isZero();
    assertThat(viaHelp.out()).startsWith("Usage: freshet backfill").contains("--view, --views");
  }

  @Test
  void backfill_then_a_training_set_rebuilt_byte_for_byte_all_through_the_wrapper()
      throws Exception {
    Map<String, String> env = Map.of("FRESHET_PG_URL", TestPostgres.freshDatabase("cli_wrapper"));
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    List<UserEvent> history = new EventGenerator(11, 12).history(now, Duration.ofMinutes(90), 2);
    Path events = dir.resolve("events.jsonl");
    Files.write(events, history.stream().map(UserEvent::toJson).toList());

    Cli.Result apply = Wrapper.run(env, Duration.ofMinutes(2), "apply");
    assertThat(apply.exitCode()).as(apply.toString()).isZero();

    // The singular spelling a person types naturally.
    Cli.Result backfill =
        Wrapper.run(
            env,
            Duration.ofMinutes(4),
            "backfill",
            "--view",
            "user_activity",
            "--input",
            events.toString(),
            "--local",
            "--timeout",
            "3m");
    assertThat(backfill.exitCode()).as(backfill.toString()).isZero();
    assertThat(backfill.out()).containsPattern("user_activity: [1-9][0-9]* rows written");
    // not a terminal: plain progress lines on standard error, ending in the count of the input
    assertThat(backfill.err())
        .doesNotContain("\r")
        .containsPattern(
            "(?m)^events read: done, "
                + String.format(java.util.Locale.ROOT, "%,d", history.size())
                + " events \\(100%\\) in [0-9.]+ s, [0-9,]+ events/s$");

    TreeSet<String> users = new TreeSet<>();
    history.forEach(e -> users.add(e.userId()));
    StringBuilder csv = new StringBuilder("user_id,event_timestamp,churned\n");
    int i = 0;
    for (String user : users) {
      for (int minutes : new int[] {20, 45, 80}) {
        csv.append(user)
            .append(',')
            .append(now.minus(Duration.ofMinutes(90 - minutes)))
            .append(',')
            .append(i++ % 2)
            .append('\n');
      }
    }
    Path labels = dir.resolve("labels.csv");
    Files.writeString(labels, csv);
    Path output = dir.resolve("train.csv");

    Cli.Result built =
        Wrapper.run(
            env,
            Duration.ofMinutes(2),
            "training-set",
            "--labels",
            labels.toString(),
            "--feature",
            "user_activity:event_count_1h,user_activity:revenue_1h,user_activity:last_platform",
            "--output",
            output.toString());
    assertThat(built.exitCode()).as(built.toString()).isZero();
    Matcher id = Pattern.compile("--rebuild ([0-9a-f-]{36})").matcher(built.out());
    assertThat(id.find()).as(built.out()).isTrue();
    byte[] original = Files.readAllBytes(output);
    assertThat(Files.readAllLines(output)).hasSize(1 + 3 * users.size());
    String rows = String.format(java.util.Locale.ROOT, "%,d", 3 * users.size());
    assertThat(built.err())
        .doesNotContain("\r")
        .containsPattern("(?m)^reading labels: done, " + rows + " labels \\(100%\\) in ")
        .containsPattern("(?m)^joining: done, " + rows + " rows \\(100%\\) in ")
        .containsPattern("(?m)^writing: done, " + rows + " rows \\(100%\\) in ");

    // The Python client's helper runs the same command and loads the same rows.
    Path client = Wrapper.script().getParent().getParent().getParent().resolve("clients/python");
    ProcessBuilder python =
        new ProcessBuilder(
                "python3",
                "-c",
                String.join(
                    "\n",
                    "import csv, sys",
                    "from freshet_client import training_set",
                    "rows = training_set(sys.argv[1], features=sys.argv[3].split(','),"
                        + " freshet=sys.argv[4], as_pandas=False)",
                    "with open(sys.argv[2], newline='', encoding='utf-8') as f:",
                    "    want = [{k: (v if v != '' else None) for k, v in r.items()}"
                        + " for r in csv.DictReader(f)]",
                    "assert rows == want, (len(rows), len(want), rows[:2], want[:2])",
                    "print('python rows', len(rows))"),
                labels.toString(),
                output.toString(),
                "user_activity:event_count_1h,user_activity:revenue_1h,user_activity:last_platform",
                Wrapper.script().toString())
            .redirectErrorStream(true);
    python.environment().putAll(env);
    python.environment().put("FRESHET_BUILD", "never");
    python.environment().put("PYTHONPATH", client.toString());
    python.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process p = python.start();
    String pythonOut = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(pythonOut).isZero();
    assertThat(pythonOut).contains("python rows " + 3 * users.size());

    Files.delete(output);
    Cli.Result rebuilt =
        Wrapper.run(env, Duration.ofMinutes(2), "training-set", "--rebuild", id.group(1));
    assertThat(rebuilt.exitCode()).as(rebuilt.toString()).isZero();
    assertThat(rebuilt.err()).doesNotContain("building the project");
    assertThat(rebuilt.out()).contains(id.group(1) + " rebuilt identically");
    assertThat(Files.readAllBytes(output)).isEqualTo(original);
  }
}
