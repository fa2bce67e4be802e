package io.freshet.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.flink.sink.offline.PostgresOfflineSink;
import io.freshet.flink.sink.online.RedisOnlineSink;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SinkConfigurationTest {
  @Test
  void rejects_a_max_delay_shorter_than_the_initial_one() {
    assertThatThrownBy(
            () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofMinutes(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "max retry delay PT1S is shorter than the initial delay PT2S (use a max delay of at"
                + " least the initial one)");
  }

  @Test
  void backoff_doubles_up_to_its_max_delay() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(300), Duration.ofMinutes(1));
    assertThat(b.next(Duration.ofMillis(100))).isEqualTo(Duration.ofMillis(200));
    assertThat(b.next(Duration.ofMillis(200))).isEqualTo(Duration.ofMillis(300));
  }

  @Test
  void offline_sink_rejects_a_url_that_is_not_postgres_without_showing_its_password() {
    assertThatThrownBy(
            () ->
                PostgresOfflineSink.exactlyOnce(
                    GeneratedRows.PLAN, "jdbc:mysql://db/x?password=s3"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "offline sink of sink_test needs a Postgres JDBC URL"
                + " (jdbc:postgresql://host:5432/db?user=...), got 'jdbc:mysql://db/x?password=***'");
  }

  @Test
  void offline_sink_rejects_empty_batches() {
    PostgresOfflineSink sink =
        PostgresOfflineSink.exactlyOnce(GeneratedRows.PLAN, "jdbc:postgresql://db/x");
    assertThatThrownBy(() -> sink.withRowsPerStatement(0))
        .hasMessage("rows per statement must be at least 1, got 0 (e.g. 2000)");
  }

  @Test
  void online_sink_rejects_a_malformed_uri_without_showing_its_password() {
    assertThatThrownBy(() -> RedisOnlineSink.exactlyOnce(GeneratedRows.PLAN, "redis://:pw@"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "online sink of sink_test needs a Redis URI (redis://host:6379/0), got 'redis://***@'");
  }

  @Test
  void online_sink_rejects_empty_script_calls() {
    RedisOnlineSink sink = RedisOnlineSink.exactlyOnce(GeneratedRows.PLAN, "redis://r:6379/0");
    assertThatThrownBy(() -> sink.withRowsPerScript(0))
        .hasMessage("rows per script call must be at least 1, got 0 (e.g. 100)");
  }
}
