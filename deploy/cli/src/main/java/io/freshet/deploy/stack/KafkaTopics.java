package io.freshet.deploy.stack;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** Topic administration on any Kafka cluster, local or not. */
public final class KafkaTopics {
  private KafkaTopics() {}

  /**
   * Creates {@code topic} with {@code partitions} partitions and replication factor 1 unless it
   * exists; an existing topic is left as it is.
   *
   * @param source where the bootstrap servers came from, for messages
   */
  public static void ensure(String bootstrapServers, String source, String topic, int partitions) {
    try (Admin admin = admin(bootstrapServers)) {
      try {
        admin.describeCluster().nodes().get(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new StackException(
            "could not reach Kafka at "
                + bootstrapServers
                + " (from "
                + source
                + "): "
                + rootMessage(e)
                + ". Check the address, or unset it to let the command start a local broker.",
            e);
      }
      admin
          .createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(Map.of())))
          .all()
          .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new StackException(
            "could not create topic '" + topic + "' on " + bootstrapServers + ": " + rootMessage(e),
            e.getCause());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while creating topic '" + topic + "'", e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new StackException(
          "creating topic '" + topic + "' on " + bootstrapServers + " timed out after 30 s", e);
    }
  }

  /**
   * Whether {@code topic} exists on the cluster.
   *
   * @param source where the bootstrap servers came from, for messages
   * @throws StackException when the cluster cannot be reached
   */
  public static boolean exists(String bootstrapServers, String source, String topic) {
    try (Admin admin = admin(bootstrapServers)) {
      try {
        return admin.listTopics().names().get(15, TimeUnit.SECONDS).contains(topic);
      } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new StackException(
            "could not reach Kafka at "
                + bootstrapServers
                + " (from "
                + source
                + "): "
                + rootMessage(e)
                + ". Check the address (`freshet demo` prints the address of its broker).",
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StackException("interrupted while listing the topics of " + bootstrapServers, e);
      }
    }
  }

  /**
   * Creates {@code topic} with the cluster's default partition count and replication factor ({@code
   * num.partitions}, {@code default.replication.factor}); an existing topic is left as it is.
   */
  public static void createWithClusterDefaults(String bootstrapServers, String topic) {
    try (Admin admin = admin(bootstrapServers)) {
      admin
          .createTopics(List.of(new NewTopic(topic, Optional.empty(), Optional.empty())))
          .all()
          .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new StackException(
            "could not create topic '" + topic + "' on " + bootstrapServers + ": " + rootMessage(e),
            e.getCause());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while creating topic '" + topic + "'", e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new StackException(
          "creating topic '" + topic + "' on " + bootstrapServers + " timed out after 30 s", e);
    }
  }

  static Admin admin(String bootstrapServers) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
    return Admin.create(p);
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }
}
