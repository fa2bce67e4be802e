package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.deploy.definitions.DefinitionsJars;
import io.freshet.registry.Registry;
import io.freshet.testing.TestPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code freshet apply} against a real Postgres, one fresh database per test. */
class ApplyCommandTest {
  @TempDir Path dir;
  private String pgUrl;

  @BeforeEach
  void freshDatabase() {
    pgUrl = TestPostgres.freshDatabase("cli_apply");
  }

  @Test
  void registers_new_views_then_finds_them_unchanged() {
    Cli.Result first = Cli.run("apply", "--pg-url", pgUrl);
    assertThat(first.exitCode()).as(first.toString()).isZero();
    assertThat(first.out())
        .contains("Definitions: the bundled examples, 4 views, 2 feature service(s)")
        .contains("Plan: 4 new, 0 changed, 0 settings changed, 0 unchanged")
        .contains("+ user_activity: new, version 1")
        .contains("+ user_activity_live: new, version 1")
        .contains("+ user_lifetime: new, version 1")
        .contains(
            "+ user_profile: new, version 1, loaded from freshet_examples.user_profile by freshet"
                + " materialize")
        .contains("Registered in ");

    Cli.Result second = Cli.run("apply", "--pg-url", pgUrl);
    assertThat(second.exitCode()).as(second.toString()).isZero();
    assertThat(second.out())
        .contains("Plan: 0 new, 0 changed, 0 settings changed, 4 unchanged")
        .contains("= user_activity: unchanged, version 1")
        .contains("Nothing to register: the registry already holds these definitions.");
  }

  @Test
  void a_dry_run_prints_the_plan_and_registers_nothing() {
    Cli.Result r = Cli.run("apply", "--dry-run", "--pg-url", pgUrl);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("+ user_activity: new, version 1")
        .contains("Dry run: nothing registered.");
    Registry registry = Registry.open(pgUrl);
    assertThat(registry.latestViews()).isEmpty();
    assertThat(registry.changeCounter()).isZero();
  }

  @Test
  void a_users_jar_is_planned_instead_of_the_examples() throws IOException {
    Path jar =
        DefinitionsJars.build(
            dir,
            "clicks.jar",
            Map.of(DefinitionsJars.CLICKS_CLASS, DefinitionsJars.CLICKS_SOURCE),
            DefinitionsJars.CLICKS_CLASS + "\n");
    Cli.Result r =
        Cli.run("apply", "--dry-run", "--definitions", jar.toString(), "--pg-url", pgUrl);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("Definitions: clicks.jar, 1 view")
        .contains("+ page_clicks: new, version 1")
        .doesNotContain("user_activity");
  }

  @Test
  void a_jar_listing_a_class_it_lacks_fails_with_exit_2_and_registers_nothing() throws IOException {
    Path jar = DefinitionsJars.build(dir, "broken.jar", Map.of(), "com.example.Missing\n");
    Cli.Result r = Cli.run("apply", "--definitions", jar.toString(), "--pg-url", pgUrl);
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err())
        .startsWith("freshet apply: the definitions jar " + jar)
        .contains("Provider com.example.Missing not found")
        .doesNotContain("\tat ");
    assertThat(Registry.open(pgUrl).latestViews()).isEmpty();
  }

  @Test
  void definitions_the_dsl_rejects_print_its_message_and_exit_2() throws IOException {
    Path jar =
        DefinitionsJars.build(
            dir,
            "bad.jar",
            Map.of(DefinitionsJars.BAD_WINDOW_CLASS, DefinitionsJars.BAD_WINDOW_SOURCE),
            DefinitionsJars.BAD_WINDOW_CLASS + "\n");
    Cli.Result r = Cli.run("apply", "--definitions", jar.toString(), "--pg-url", pgUrl);
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("\n  window size 45m must be a multiple of slide 10m");
  }

  @Test
  void an_unreachable_registry_names_the_url_and_where_it_came_from() {
    Cli.Result r =
        Cli.run(
            "apply", "--pg-url", "jdbc:postgresql://127.0.0.1:1/nowhere?user=x&password=secret");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err())
        .startsWith("freshet apply: could not connect to the registry at")
        .contains("Postgres from --pg-url")
        .doesNotContain("secret");
    assertThat(r.out()).contains("password=***").doesNotContain("secret");
  }

  @Test
  void a_url_that_is_not_jdbc_is_a_usage_error() {
    Cli.Result r = Cli.run("apply", "--pg-url", "postgres://localhost/db");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "freshet apply: --pg-url is 'postgres://localhost/db', not a Postgres JDBC URL");
  }
}
