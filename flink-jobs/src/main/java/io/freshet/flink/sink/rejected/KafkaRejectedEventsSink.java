package io.freshet.flink.sink.rejected;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.flink.source.RejectedEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Keeps dead letters and late events in a Kafka topic instead of Postgres: one JSON record per
 * event, keyed by its origin ({@code topic/partition@offset}) so that a consumer, or a compacted
 * topic, can drop the copies a restart may produce.
 *
 * <pre>{"view":"user_activity","kind":"DEAD_LETTER","reason":"...","payload":"...",
 *  "origin":"user-events/0@42","event_ts":"2026-11-23T12:00:00Z"}</pre>
 */
public final class KafkaRejectedEventsSink {
  private KafkaRejectedEventsSink() {}

  /** A sink writing rejected events to {@code topic} at least once. */
  public static KafkaSink<RejectedEvent> create(String bootstrapServers, String topic) {
    return KafkaSink.<RejectedEvent>builder()
        .setBootstrapServers(bootstrapServers)
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .setRecordSerializer(new Serializer(topic))
        .build();
  }

  /** The JSON form of a rejected event. */
  static final class Serializer implements KafkaRecordSerializationSchema<RejectedEvent> {
    private static final long serialVersionUID = 1L;
    private final String topic;
    private transient ObjectMapper mapper;

    Serializer(String topic) {
      this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
        RejectedEvent r, KafkaSinkContext context, Long timestamp) {
      if (mapper == null) {
        mapper = new ObjectMapper();
      }
      ObjectNode json = mapper.createObjectNode();
      json.put("view", r.view);
      json.put("kind", r.kind.name());
      json.put("reason", r.reason);
      json.put("payload", r.payload);
      json.put("origin", r.origin);
      if (r.eventTs != null) {
        json.put("event_ts", Instant.ofEpochMilli(r.eventTs).toString());
      }
      byte[] key = r.origin == null ? null : r.origin.getBytes(StandardCharsets.UTF_8);
      try {
        return new ProducerRecord<>(topic, key, mapper.writeValueAsBytes(json));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException("cannot write rejected event " + r + " as JSON", e);
      }
    }
  }
}
