package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CliPiecesTest {
  @Test
  void a_flag_wins_over_the_environment() {
    Map<String, String> env = Map.of("FRESHET_PG_URL", "jdbc:postgresql://db/x");
    assertThat(Setting.resolve("jdbc:postgresql://flag/y", "--pg-url", "FRESHET_PG_URL", env))
        .isEqualTo(new Setting("jdbc:postgresql://flag/y", "--pg-url"));
    assertThat(Setting.resolve(null, "--pg-url", "FRESHET_PG_URL", env))
        .isEqualTo(new Setting("jdbc:postgresql://db/x", "FRESHET_PG_URL"));
    assertThat(Setting.resolve(" ", "--pg-url", "FRESHET_PG_URL", Map.of("FRESHET_PG_URL", "")))
        .isNull();
  }

  @Test
  void durations_read_as_in_definitions() {
    assertThat(DurationConverter.parse("4m")).isEqualTo(Duration.ofMinutes(4));
    assertThat(DurationConverter.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(DurationConverter.parse("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThatThrownBy(() -> DurationConverter.parse("5 minutes"))
        .hasMessage("'5 minutes' is not a duration (write e.g. 90s, 5m, 1h30m)");
    assertThatThrownBy(() -> DurationConverter.parse("m5"))
        .isInstanceOf(CommandLine.TypeConversionException.class);
  }

  @Test
  void the_job_gets_the_arguments_of_the_feature_job_contract() {
    DemoCommand demo = new DemoCommand();
    new CommandLine(demo).parseArgs("--checkpoint-interval", "15s");
    assertThat(
            demo.jobArgs(
                DemoCommand.VIEWS, "127.0.0.1:9092", "jdbc:postgresql://h/db", "redis://h:6379"))
        .containsExactly(
            "--views",
            "user_activity,user_activity_live,user_lifetime",
            "--kafka",
            "127.0.0.1:9092",
            "--pg-url",
            "jdbc:postgresql://h/db",
            "--redis-url",
            "redis://h:6379",
            "--checkpoint-interval",
            "15000",
            "--starting-offsets",
            "earliest");
  }

  @Test
  void demo_defaults_match_the_documented_ports() {
    DemoCommand demo = new DemoCommand();
    new CommandLine(demo).parseArgs();
    assertThat(demo.port).isEqualTo(8080);
    assertThat(demo.flinkUiPort).isEqualTo(8081);
    assertThat(demo.users).isEqualTo(200);
    assertThat(demo.duration).isNull();
  }

  @Test
  void every_subcommand_of_the_design_is_offered() {
    assertThat(FreshetCommand.commandLine().getSubcommands().keySet())
        .containsExactlyInAnyOrderElementsOf(
            List.of(
                "demo",
                "init",
                "apply",
                "submit",
                "backfill",
                "materialize",
                "produce",
                "training-set",
                "verify",
                "restore-online",
                "serve",
                "help"));
  }

  @Test
  void serve_takes_the_flink_cluster_of_its_console_from_the_flag_or_the_environment() {
    ServeCommand flag = new ServeCommand(Map.of("FRESHET_FLINK", "http://env-flink:8081"));
    new CommandLine(flag).parseArgs("--flink", "http://flink:8081");
    assertThat(flag.flink.resolve(Map.of("FRESHET_FLINK", "http://env-flink:8081")))
        .isEqualTo(new Setting("http://flink:8081", "--flink"));

    ServeCommand fromEnv = new ServeCommand(Map.of());
    new CommandLine(fromEnv).parseArgs();
    assertThat(fromEnv.flink.resolve(Map.of("FRESHET_FLINK", "http://env-flink:8081")))
        .isEqualTo(new Setting("http://env-flink:8081", "FRESHET_FLINK"));
    assertThat(fromEnv.flink.resolve(Map.of())).isNull();

    ServeCommand bad = new ServeCommand(Map.of());
    new CommandLine(bad).parseArgs("--flink", "flink:8081");
    assertThatThrownBy(() -> bad.flink.resolve(Map.of()))
        .isInstanceOf(UsageException.class)
        .hasMessage(
            "--flink is 'flink:8081', not the URL of a Flink REST API (expected e.g."
                + " http://localhost:8081)");
  }

  @Test
  void the_help_of_serve_tells_where_the_console_reads_from() {
    Cli.Result help = Cli.run("serve", "--help");
    assertThat(help.out().replaceAll("\\s+", " "))
        .contains("--flink=<rest-url>")
        .contains("The console at /console")
        .contains("--pg-url, FRESHET_PG_URL or --registry");
  }
}
