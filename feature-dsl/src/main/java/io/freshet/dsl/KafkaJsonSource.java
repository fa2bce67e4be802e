package io.freshet.dsl;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A Kafka topic of JSON events, one object per record.
 *
 * <p>Each event carries an entity key (one or more fields, e.g. {@code user_id}) and an event time
 * (ISO-8601 instant such as {@code 2026-11-23T12:00:00Z}, or epoch milliseconds). Event time drives
 * the windows; the watermark trails the greatest event time seen by {@link #maxOutOfOrderness()},
 * so with a 10 minute bound an event stamped 12:00 is still on time until an event stamped after
 * 12:10 has been read. An event that arrives after the watermark passed its time is late: within
 * {@link #allowedLateness()} it still updates its windows and their rows are written again; later
 * than that it goes to the late-events output. A partition that has been silent for {@link
 * #idleTimeout()} stops holding the watermark back.
 *
 * <p>Immutable and thread-safe. Build with {@link #topic(String)} and the {@code with*} methods:
 *
 * <pre>{@code
 * KafkaJsonSource.topic("user-events")
 *     .keyedBy("user_id")
 *     .eventTimeField("event_ts")
 *     .withMaxOutOfOrderness(Duration.ofMinutes(10));
 * }</pre>
 */
public record KafkaJsonSource(
    String topic,
    List<String> keyFields,
    String eventTimeField,
    Duration maxOutOfOrderness,
    Duration allowedLateness,
    Duration idleTimeout)
    implements ViewSource {

  /** Idle partitions stop holding back the watermark after this long, unless told otherwise. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

  public KafkaJsonSource {
    if (topic == null || topic.isBlank() || !topic.matches("[A-Za-z0-9._-]{1,249}")) {
      throw new DefinitionException(
          "Kafka topic '"
              + topic
              + "' is not a valid topic name: use 1 to 249 characters of letters, digits, '.', '_'"
              + " and '-'");
    }
    keyFields = List.copyOf(Objects.requireNonNull(keyFields, "keyFields"));
    for (String k : keyFields) {
      Names.checkField("entity key of source '" + topic + "'", k);
    }
    Objects.requireNonNull(eventTimeField, "eventTimeField");
    Durations.checkNonNegative("max out-of-orderness of source '" + topic + "'", maxOutOfOrderness);
    Durations.checkNonNegative("allowed lateness of source '" + topic + "'", allowedLateness);
    Durations.checkPositive("idle timeout of source '" + topic + "'", idleTimeout);
  }

  /** A source over the given topic; it still needs a key and an event-time field. */
  public static KafkaJsonSource topic(String topic) {
    return new KafkaJsonSource(
        topic, List.of(), "event_ts", Duration.ZERO, Duration.ZERO, DEFAULT_IDLE_TIMEOUT);
  }

  /** The entity key: the JSON field(s) whose values identify the entity (e.g. a user). */
  public KafkaJsonSource keyedBy(String... fields) {
    return new KafkaJsonSource(
        topic, List.of(fields), eventTimeField, maxOutOfOrderness, allowedLateness, idleTimeout);
  }

  /** The JSON field holding the event time (ISO-8601 instant or epoch milliseconds). */
  public KafkaJsonSource eventTimeField(String field) {
    Names.checkField("event-time field of source '" + topic + "'", field);
    return new KafkaJsonSource(
        topic, keyFields, field, maxOutOfOrderness, allowedLateness, idleTimeout);
  }

  /** How far behind the greatest event time seen an event may arrive and still be on time. */
  public KafkaJsonSource withMaxOutOfOrderness(Duration bound) {
    return new KafkaJsonSource(
        topic, keyFields, eventTimeField, bound, allowedLateness, idleTimeout);
  }

  /** How long a silent partition may hold the watermark back. */
  public KafkaJsonSource withIdleTimeout(Duration timeout) {
    return new KafkaJsonSource(
        topic, keyFields, eventTimeField, maxOutOfOrderness, allowedLateness, timeout);
  }

  /** How long after the watermark a late event still updates its windows (default 0). */
  public KafkaJsonSource withAllowedLateness(Duration lateness) {
    return new KafkaJsonSource(
        topic, keyFields, eventTimeField, maxOutOfOrderness, lateness, idleTimeout);
  }

  @Override
  public String label() {
    return topic;
  }
}
