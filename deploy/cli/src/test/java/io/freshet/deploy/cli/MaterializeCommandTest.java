package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code freshet materialize} through the real command class: what it refuses before anything runs,
 * each with the problem and what to do.
 */
class MaterializeCommandTest {
  static Cli.Result run(String... args) {
    return Cli.runWithEnv(Map.of(), args);
  }

  @Test
  void an_unknown_view_is_refused_and_the_table_views_are_named() {
    Cli.Result r = run("materialize", "--view", "user_profiles");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "freshet materialize: no view 'user_profiles' in the bundled examples"
                + " (table-sourced views: user_profile)");
  }

  @Test
  void a_kafka_view_is_refused() {
    Cli.Result r = run("materialize", "--view", "user_activity");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "freshet materialize: view 'user_activity' reads Kafka topic 'user-events', not a"
                + " table: only table-sourced views are materialized");
  }

  @Test
  void every_must_be_a_duration_of_at_least_a_second() {
    Cli.Result bad = run("materialize", "--view", "user_profile", "--every", "often");
    assertThat(bad.exitCode()).as(bad.toString()).isEqualTo(2);
    assertThat(bad.err()).contains("'often' is not a duration (write e.g. 90s, 5m, 1h30m)");

    Cli.Result zero = run("materialize", "--view", "user_profile", "--every", "0s");
    assertThat(zero.exitCode()).as(zero.toString()).isEqualTo(2);
    assertThat(zero.err())
        .startsWith("freshet materialize: --every PT0S is too short: give an interval of at least");
  }

  @Test
  void every_takes_no_range() {
    Cli.Result r =
        run(
            "materialize",
            "--view",
            "user_profile",
            "--every",
            "15m",
            "--from",
            "2026-11-01T00:00:00Z");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err())
        .startsWith("freshet materialize: --every repeats loads from the high-water");
  }

  @Test
  void the_range_must_be_instants_in_order() {
    Cli.Result bad = run("materialize", "--view", "user_profile", "--from", "yesterday");
    assertThat(bad.exitCode()).as(bad.toString()).isEqualTo(2);
    assertThat(bad.err())
        .startsWith("freshet materialize: --from 'yesterday' is not an ISO-8601 instant");

    Cli.Result swapped =
        run(
            "materialize",
            "--view",
            "user_profile",
            "--from",
            "2026-11-02T00:00:00Z",
            "--to",
            "2026-11-01T00:00:00Z");
    assertThat(swapped.exitCode()).as(swapped.toString()).isEqualTo(2);
    assertThat(swapped.err()).contains("is not before --to");
  }
}
