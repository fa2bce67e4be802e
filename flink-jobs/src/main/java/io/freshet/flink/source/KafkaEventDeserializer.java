package io.freshet.flink.source;

import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.EventDecoder;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Decodes Kafka records in the source itself, so the watermark sees decoded event times. */
public final class KafkaEventDeserializer implements KafkaRecordDeserializationSchema<Decoded> {
  private static final long serialVersionUID = 1L;

  private final EventDecoder decoder;

  public KafkaEventDeserializer(EventDecoder decoder) {
    this.decoder = decoder;
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Decoded> out) {
    String origin = record.topic() + "/" + record.partition() + "@" + record.offset();
    out.collect(decoder.decode(record.value(), origin));
  }

  @Override
  public TypeInformation<Decoded> getProducedType() {
    return TypeInformation.of(Decoded.class);
  }
}
