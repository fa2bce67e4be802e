package io.freshet.gateway.push;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Kafka the gateway produces pushed events to: one idempotent producer ({@code acks=all},
 * {@code enable.idempotence=true}) shared by every push. A view's topic that does not exist (on a
 * broker that does not create topics on first use) makes the push fail within {@link #MAX_BLOCK},
 * naming it.
 *
 * <p>{@link #sendAll} blocks until Kafka has acknowledged or refused every record: call it off the
 * event loop.
 */
public final class EventLog implements AutoCloseable {
  /** How long a send may wait for the topic's metadata or for buffer space. */
  static final Duration MAX_BLOCK = Duration.ofSeconds(5);

  /** How long Kafka has to acknowledge a record, retries included. */
  static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(15);

  private final String bootstrapServers;
  private final KafkaProducer<byte[], byte[]> producer;

  private EventLog(String bootstrapServers, KafkaProducer<byte[], byte[]> producer) {
    this.bootstrapServers = bootstrapServers;
    this.producer = producer;
  }

  /** A producer for the Kafka at {@code bootstrapServers}; connects on first use. */
  public static EventLog connect(String bootstrapServers) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) DELIVERY_TIMEOUT.toMillis());
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK.toMillis());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "freshet-gateway-push");
    return new EventLog(bootstrapServers, new KafkaProducer<>(p));
  }

  /** One record to produce: the entity key and the event's bytes as they were pushed. */
  public record Record(String key, byte[] value) {}

  /**
   * What became of a {@link #sendAll}: per record, whether Kafka acknowledged it, and the first
   * failure when it did not.
   */
  public record Outcome(boolean[] acknowledged, Throwable failure) {
    public boolean allAcknowledged() {
      return failure == null;
    }
  }

  /**
   * Produces the records to {@code topic} in order and waits until every one is acknowledged by all
   * in-sync replicas or has failed. Once a send fails at once (the topic's metadata or buffer space
   * did not come within {@link #MAX_BLOCK}), the records after it are not tried.
   */
  public Outcome sendAll(String topic, List<Record> records) {
    boolean[] acknowledged = new boolean[records.size()];
    List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
    Throwable failure = null;
    for (Record r : records) {
      Future<RecordMetadata> f;
      try {
        f =
            producer.send(
                new ProducerRecord<>(topic, r.key().getBytes(StandardCharsets.UTF_8), r.value()));
      } catch (RuntimeException e) {
        failure = e;
        break;
      }
      sent.add(f);
      if (f.isDone() && failedAlready(f)) {
        // The producer hands back a failed future when the topic's metadata did not come within
        // MAX_BLOCK: the records after this one would each wait as long again.
        break;
      }
    }
    for (int i = 0; i < sent.size(); i++) {
      try {
        sent.get(i).get();
        acknowledged[i] = true;
      } catch (ExecutionException e) {
        if (failure == null) {
          failure = e.getCause() == null ? e : e.getCause();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (failure == null) {
          failure = e;
        }
        break;
      }
    }
    return new Outcome(acknowledged, failure);
  }

  private static boolean failedAlready(Future<RecordMetadata> f) {
    try {
      f.get();
      return false;
    } catch (ExecutionException e) {
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }

  @Override
  public String toString() {
    return "EventLog[" + bootstrapServers + "]";
  }
}
