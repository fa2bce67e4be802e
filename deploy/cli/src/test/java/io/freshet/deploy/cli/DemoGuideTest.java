package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.deploy.stack.PostgresEndpoint;
import io.freshet.examples.UserActivity;
import io.freshet.offline.TileTable;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * What the demo tells a user about its two views: user_activity_live is served at request time and
 * shows an event after the next checkpoint (every second in the demo), user_activity waits for its
 * window to close.
 */
class DemoGuideTest {
  @TempDir Path dir;

  @Test
  void the_demo_checkpoints_every_second() {
    DemoCommand demo = new DemoCommand(Map.of(), Clock.systemUTC());
    new CommandLine(demo).parseArgs();
    assertThat(demo.checkpointInterval).isEqualTo(Duration.ofSeconds(1));
    assertThat(
            demo.jobArgs(DemoCommand.VIEWS, "k:9092", "jdbc:postgresql://h/db", "redis://h:6379"))
        .containsSubsequence("--checkpoint-interval", "1000");
  }

  @Test
  void the_guide_says_when_each_view_shows_an_event() throws Exception {
    assertThat(ViewPlan.of(UserActivity.liveView()).requestTime()).isTrue();
    DemoCommand demo = new DemoCommand(Map.of(), Clock.systemUTC());
    new CommandLine(demo).parseArgs();
    StringWriter guide = new StringWriter();
    try (PostgresEndpoint pg = PostgresEndpoint.locate(TestPostgres.adminUrl(), "the test")) {
      demo.printGuide(
          new PrintWriter(guide),
          Catalog.load(getClass().getClassLoader()),
          pg,
          "user_0001",
          URI.create("http://localhost:18081"),
          18080,
          "127.0.0.1:9092",
          Instant.now(),
          dir);
    }
    String text = guide.toString();
    List<String> lines = text.lines().toList();
    assertThat(lines)
        .contains(
            "user_activity_live is served at request time (tiles of 1m): an event, for a new user"
                + " too, counts (once) at GET /features/user_activity_live/<user> after the job's"
                + " next checkpoint (every 1s); each answer covers the last hour up to the"
                + " instant of the request.")
        .anyMatch(l -> l.startsWith("user_activity is served at window ends: its windows end"))
        .anyMatch(
            l ->
                l.startsWith("  Tile history    ")
                    && l.contains(TileTable.of(ViewPlan.of(UserActivity.liveView())).tableName()));
    assertThat(text).contains("Results reach Redis and Postgres at each checkpoint (every 1s).");
    assertThat(lines)
        .anyMatch(l -> l.startsWith("  Console         http://localhost:18080/console "))
        .filteredOn(l -> l.contains("/console"))
        .hasSize(1);
  }

  @Test
  void the_help_of_the_demo_tells_the_serving_modes() {
    Cli.Result help = Cli.run("demo", "--help");
    assertThat(help.out().replaceAll("\\s+", " "))
        .contains("user_activity_live is served at request time")
        .contains("every second in the demo")
        .contains("(default: 1s)");
  }
}
