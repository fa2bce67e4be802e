package io.freshet.testing;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Exit;

/** One in-process KRaft Kafka broker per JVM, shared by every test that needs one. */
public final class TestKafka {
  private static KafkaClusterTestKit cluster;

  private TestKafka() {}

  /** The bootstrap servers of the shared broker, starting it on first use. */
  public static synchronized String bootstrapServers() {
    if (cluster == null) {
      try {
        ignoreHaltsWhileTheJvmExits();
        KafkaClusterTestKit c =
            new KafkaClusterTestKit.Builder(
                    new TestKitNodes.Builder()
                        .setCombined(true)
                        .setNumBrokerNodes(1)
                        .setNumControllerNodes(1)
                        .build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .build();
        c.format();
        c.startup();
        c.waitForReadyBrokers();
        cluster = c;
        Runtime.getRuntime().addShutdownHook(new Thread(TestKafka::stop));
      } catch (Exception e) {
        throw new IllegalStateException("could not start the in-process Kafka broker", e);
      }
    }
    return cluster.bootstrapServers();
  }

  /**
   * The test kit deletes the broker's folders in a shutdown hook of its own, which runs alongside
   * the hook that stops the broker. A broker that finds its log folder gone halts the JVM with
   * status 1 (LogManager.handleLogDirFailure), so a test JVM whose tests all passed would exit with
   * 1 at random (the build then fails with "Error occurred in starting fork"). A halt asked for
   * while the JVM is already exiting is therefore ignored; at any other time it halts as before.
   */
  private static void ignoreHaltsWhileTheJvmExits() {
    Exit.setHaltProcedure(
        (status, message) -> {
          if (!jvmExiting()) {
            Runtime.getRuntime().halt(status);
          }
        });
  }

  private static boolean jvmExiting() {
    Thread probe = new Thread(() -> {});
    try {
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }

  /** Creates a topic on the shared broker. */
  public static void createTopic(String topic, int partitions) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      admin
          .createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(Map.of())))
          .all()
          .get();
    } catch (Exception e) {
      throw new IllegalStateException("could not create topic " + topic, e);
    }
  }

  /**
   * A producer of string records to the shared broker that waits for every replica and writes each
   * record once, so that records sent in order get consecutive offsets.
   */
  public static KafkaProducer<String, String> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    return new KafkaProducer<>(p);
  }

  private static void stop() {
    try {
      cluster.close();
    } catch (Exception ignored) {
      // the JVM is exiting
    }
  }
}
