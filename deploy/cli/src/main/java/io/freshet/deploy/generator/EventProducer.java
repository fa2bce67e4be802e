package io.freshet.deploy.generator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces a generator's events to a Kafka topic, keyed by user id, on a thread of its own: first a
 * replay of recent history as fast as the broker takes it, then live events at a steady rate until
 * closed.
 */
public final class EventProducer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventProducer.class);

  private final EventGenerator generator;
  private final String topic;
  private final List<UserEvent> history;
  private final double liveEventsPerSecond;
  private final Clock clock;
  private final KafkaProducer<String, String> producer;
  private final Thread thread;
  private final CountDownLatch historySent = new CountDownLatch(1);
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicReference<Exception> lastError = new AtomicReference<>();
  private volatile boolean running = true;

  /**
   * Starts producing.
   *
   * @param history the events to replay first (see {@link EventGenerator#history})
   * @param liveEventsPerSecond the rate of live events after the replay
   */
  public EventProducer(
      String bootstrapServers,
      String topic,
      EventGenerator generator,
      List<UserEvent> history,
      double liveEventsPerSecond,
      Clock clock) {
    if (liveEventsPerSecond <= 0) {
      throw new IllegalArgumentException(
          "liveEventsPerSecond must be positive, got " + liveEventsPerSecond);
    }
    this.generator = generator;
    this.topic = topic;
    this.history = List.copyOf(history);
    this.liveEventsPerSecond = liveEventsPerSecond;
    this.clock = clock;
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "freshet-event-generator");
    this.producer = new KafkaProducer<>(p);
    this.thread = new Thread(this::run, "freshet-event-generator");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private void run() {
    try {
      for (UserEvent e : history) {
        if (!running) {
          return;
        }
        send(e);
      }
      producer.flush();
      historySent.countDown();
      long intervalNanos = (long) (1e9 / liveEventsPerSecond);
      long next = System.nanoTime();
      while (running) {
        send(generator.next(Instant.now(clock)));
        next += intervalNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      if (running) {
        lastError.set(e);
        LOG.error("the event generator stopped", e);
      }
    } finally {
      historySent.countDown();
    }
  }

  private void send(UserEvent e) {
    producer.send(
        new ProducerRecord<>(topic, e.userId(), e.toJson()),
        (metadata, error) -> {
          if (error == null) {
            sent.incrementAndGet();
          } else {
            failed.incrementAndGet();
            lastError.set(error);
            LOG.warn("could not produce an event to {}", topic, error);
          }
        });
  }

  /** Waits until the history has been acknowledged by the broker; false on timeout. */
  public boolean awaitHistory(Duration timeout) throws InterruptedException {
    return historySent.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Events the broker acknowledged so far. */
  public long sent() {
    return sent.get();
  }

  /** Events the broker refused so far. */
  public long failed() {
    return failed.get();
  }

  /** The last error, or null. */
  public Exception lastError() {
    return lastError.get();
  }

  /** Stops producing, sends what is buffered, and closes the producer. */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(5));
  }
}
