package io.freshet.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** The waits between commit attempts: drawn below a ceiling that doubles up to the max delay. */
class BackoffTest {
  private static final Backoff BACKOFF =
      new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofMinutes(2));

  @Test
  void every_wait_lies_between_zero_and_its_ceiling() {
    SplittableRandom random = new SplittableRandom(42);
    Duration ceiling = BACKOFF.initialDelay();
    for (int attempt = 0; attempt < 12; attempt++) {
      for (int draw = 0; draw < 1_000; draw++) {
        Duration wait = BACKOFF.jittered(ceiling, random);
        assertThat(wait).isBetween(Duration.ZERO, ceiling);
      }
      ceiling = BACKOFF.next(ceiling);
    }
    assertThat(ceiling).isEqualTo(BACKOFF.maxDelay());
  }

  @Test
  void the_extreme_draws_give_zero_and_the_ceiling_itself() {
    Duration ceiling = Duration.ofMillis(800);
    assertThat(BACKOFF.jittered(ceiling, fixed(0))).isEqualTo(Duration.ZERO);
    assertThat(BACKOFF.jittered(ceiling, fixed(Long.MAX_VALUE))).isEqualTo(ceiling);
  }

  /**
   * Two subtasks that failed together do not retry together: their draws spread over the whole
   * interval instead of all landing on the ceiling, as they did without jitter.
   */
  @Test
  void waits_spread_over_the_whole_interval() {
    SplittableRandom random = new SplittableRandom(7);
    Duration ceiling = Duration.ofSeconds(1);
    int[] quarters = new int[4];
    List<Duration> waits = new ArrayList<>();
    for (int draw = 0; draw < 4_000; draw++) {
      Duration wait = BACKOFF.jittered(ceiling, random);
      waits.add(wait);
      quarters[(int) Math.min(3, wait.toNanos() * 4 / ceiling.toNanos())]++;
    }
    for (int q : quarters) {
      assertThat(q).as("draws per quarter of the interval, of 4000").isBetween(800, 1200);
    }
    assertThat(waits.stream().distinct().count()).isGreaterThan(3_900);
  }

  /** A generator whose every draw below a bound is the given value clamped to the bound's range. */
  private static RandomGenerator fixed(long value) {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        return value;
      }

      @Override
      public long nextLong(long bound) {
        return Math.min(value, bound - 1);
      }
    };
  }
}
