package io.freshet.deploy.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {
  @Test
  void doubles_from_the_initial_wait_up_to_the_cap() {
    RestartBackoff b = RestartBackoff.localStack();
    assertThat(IntStream.rangeClosed(1, 8).mapToObj(b::delay).map(Duration::toSeconds))
        .containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L);
    assertThat(b.delay(1_000_000)).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void rejects_a_cap_below_the_initial_wait() {
    assertThatThrownBy(
            () ->
                new RestartBackoff(
                    Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofMinutes(1)))
        .hasMessage("max backoff PT1S must not be below the initial backoff PT5S");
  }
}
