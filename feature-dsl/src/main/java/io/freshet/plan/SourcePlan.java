package io.freshet.plan;

import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.PostgresTableSource;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * Where a plan's events come from and how their time is judged, as engines read it: the Kafka topic
 * of JSON events, the entity key fields, the event-time field, and the watermark's bounds.
 *
 * @param topic the Kafka topic; null for a table-sourced view
 * @param keyFields the fields that make the entity key, in order
 * @param eventTimeField the field holding the event time
 * @param maxOutOfOrderness how far behind the newest event the watermark trails
 * @param allowedLateness how long after the watermark a late event still updates its windows
 * @param idleTimeout after how long without events a partition stops holding back the watermark
 */
public record SourcePlan(
    String topic,
    List<String> keyFields,
    String eventTimeField,
    Duration maxOutOfOrderness,
    Duration allowedLateness,
    Duration idleTimeout)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public SourcePlan {
    keyFields = List.copyOf(keyFields);
  }

  /**
   * The plan of a table-sourced view's source as the Kafka-shaped readers see it: no topic, the key
   * columns as key fields, the timestamp column as the event-time field, no watermark bounds. What
   * only a table has is in {@link TableSourcePlan}.
   */
  static SourcePlan of(PostgresTableSource s) {
    return new SourcePlan(
        null, s.keyColumns(), s.timestampColumn(), Duration.ZERO, Duration.ZERO, Duration.ZERO);
  }

  static SourcePlan of(KafkaJsonSource s) {
    return new SourcePlan(
        s.topic(),
        s.keyFields(),
        s.eventTimeField(),
        s.maxOutOfOrderness(),
        s.allowedLateness(),
        s.idleTimeout());
  }
}
