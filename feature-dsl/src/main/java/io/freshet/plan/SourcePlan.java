package io.freshet.plan;

import io.freshet.dsl.KafkaJsonSource;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * Where a plan's events come from and how their time is judged, as engines read it: the Kafka topic
 * of JSON events, the entity key fields, the event-time field, and the watermark's bounds.
 *
 * @param topic the Kafka topic
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
