package io.freshet.deploy.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The supervisor's loop on a part whose health the test sets: deaths, restarts, retries, stop. */
class SupervisorTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-12-03T02:40:11Z"), ZoneOffset.UTC);
  private static final RestartBackoff FAST =
      new RestartBackoff(Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofMinutes(5));

  private final StringWriter console = new StringWriter();
  private final AtomicBoolean stopping = new AtomicBoolean();

  /** A part that is down while the test says so, and whose first restarts may fail. */
  private static final class Part implements Supervised {
    volatile boolean up = true;
    final AtomicInteger restartCalls = new AtomicInteger();
    volatile int failingRestarts;

    @Override
    public String name() {
      return "test part";
    }

    @Override
    public Optional<String> failure() {
      return up ? Optional.empty() : Optional.of("exited with code 3");
    }

    @Override
    public String restart() {
      int call = restartCalls.incrementAndGet();
      if (call <= failingRestarts) {
        throw new StackException("port 4242 is still taken");
      }
      up = true;
      return "as number " + call;
    }
  }

  private Supervisor supervisor(Part part) {
    Supervisor s = new Supervisor(new PrintWriter(console, true), stopping::get, FAST, CLOCK);
    s.watch(part);
    s.start();
    return s;
  }

  @Test
  void a_part_found_down_is_restarted_and_both_are_said_with_a_timestamp_and_the_cause() {
    Part part = new Part();
    try (Supervisor s = supervisor(part)) {
      part.up = false;
      await("a restart", () -> s.restarts() == 1);
      assertThat(part.up).isTrue();
    }
    assertThat(console.toString())
        .contains(
            "[2026-12-03T02:40:11Z] the test part exited with code 3; restarting it in 0.1 s\n")
        .containsPattern(
            "\\[2026-12-03T02:40:11Z] the test part restarted as number 1, \\d+\\.\\d s after it"
                + " was found down\n");
  }

  @Test
  void a_restart_that_fails_is_tried_again_after_twice_the_wait() {
    Part part = new Part();
    part.failingRestarts = 2;
    try (Supervisor s = supervisor(part)) {
      part.up = false;
      await("a restart", () -> s.restarts() == 1);
    }
    assertThat(part.restartCalls).hasValue(3);
    assertThat(console.toString())
        .contains(
            "could not restart the test part: port 4242 is still taken; trying again in 0.2 s")
        .contains(
            "could not restart the test part: port 4242 is still taken; trying again in 0.4 s")
        .contains("the test part restarted as number 3");
  }

  @Test
  void a_second_death_soon_after_a_restart_waits_longer() {
    Part part = new Part();
    try (Supervisor s = supervisor(part)) {
      part.up = false;
      await("a restart", () -> s.restarts() == 1);
      part.up = false;
      await("a second restart", () -> s.restarts() == 2);
    }
    assertThat(console.toString())
        .contains("restarting it in 0.1 s\n")
        .contains("restarting it in 0.2 s (restart 2 in a row)\n");
  }

  @Test
  void a_part_waiting_for_its_restart_is_not_restarted_once_the_stack_is_stopping() {
    Part part = new Part();
    Supervisor s =
        new Supervisor(
            new PrintWriter(console, true),
            stopping::get,
            new RestartBackoff(
                Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofMinutes(5)),
            CLOCK);
    s.watch(part);
    s.start();
    part.up = false;
    await("the death announced", () -> console.toString().contains("restarting it in 30.0 s"));
    stopping.set(true);
    await("the supervisor to end", () -> !s.isRunning());
    s.close();
    assertThat(part.restartCalls).hasValue(0);
  }

  @Test
  void close_ends_the_checks_before_it_returns() {
    Supervisor s = supervisor(new Part());
    assertThat(s.isRunning()).isTrue();
    s.close();
    assertThat(s.isRunning()).isFalse();
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no " + what + " within 30 s");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
