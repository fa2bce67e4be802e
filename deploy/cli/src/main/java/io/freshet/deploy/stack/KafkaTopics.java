package io.freshet.deploy.stack;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
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
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
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
      createOne(
          admin, bootstrapServers, new NewTopic(topic, partitions, (short) 1).configs(Map.of()));
    }
  }

  /**
   * Creates {@code topic} with the cluster's default partition count and replication factor ({@code
   * num.partitions}, {@code default.replication.factor}); an existing topic is left as it is.
   */
  public static void createWithClusterDefaults(String bootstrapServers, String topic) {
    try (Admin admin = admin(bootstrapServers)) {
      createOne(admin, bootstrapServers, new NewTopic(topic, Optional.empty(), Optional.empty()));
    }
  }

  /** Creates one topic unless it exists, within 30 s. */
  private static void createOne(Admin admin, String bootstrapServers, NewTopic topic) {
    String name = topic.name();
    try {
      admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new StackException(
            "could not create topic '" + name + "' on " + bootstrapServers + ": " + rootMessage(e),
            e.getCause());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while creating topic '" + name + "'", e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new StackException(
          "creating topic '" + name + "' on " + bootstrapServers + " timed out after 30 s", e);
    }
  }

  /**
   * The topics among {@code topics} that do not exist on the cluster, in the order given.
   *
   * @param source where the bootstrap servers came from, for messages
   * @throws StackException when Kafka cannot be reached
   */
  public static List<String> missing(
      String bootstrapServers, String source, Collection<String> topics) {
    try (Admin admin = admin(bootstrapServers)) {
      Set<String> existing = admin.listTopics().names().get(15, TimeUnit.SECONDS);
      return topics.stream().distinct().filter(t -> !existing.contains(t)).toList();
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw unreachable(bootstrapServers, source, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while listing the topics of " + bootstrapServers, e);
    }
  }

  /**
   * Whether {@code topic} exists on the cluster.
   *
   * @param source where the bootstrap servers came from, for messages
   * @throws StackException when Kafka cannot be reached
   */
  public static boolean exists(String bootstrapServers, String source, String topic) {
    return missing(bootstrapServers, source, List.of(topic)).isEmpty();
  }

  /** How many brokers the cluster has. */
  public static int brokers(String bootstrapServers, String source) {
    try (Admin admin = admin(bootstrapServers)) {
      return admin.describeCluster().nodes().get(15, TimeUnit.SECONDS).size();
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw unreachable(bootstrapServers, source, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while reading the brokers of " + bootstrapServers, e);
    }
  }

  /**
   * Creates the topics; one that another client created meanwhile is left as it is.
   *
   * @throws StackException naming the topic and Kafka's reason when one cannot be created
   */
  public static void create(
      String bootstrapServers, Collection<String> topics, int partitions, short replicationFactor) {
    try (Admin admin = admin(bootstrapServers)) {
      Map<String, KafkaFuture<Void>> results =
          admin
              .createTopics(
                  topics.stream().map(t -> new NewTopic(t, partitions, replicationFactor)).toList())
              .values();
      for (Map.Entry<String, KafkaFuture<Void>> r : results.entrySet()) {
        try {
          r.getValue().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new StackException(
                "could not create topic '"
                    + r.getKey()
                    + "' ("
                    + partitions
                    + " partitions, replication factor "
                    + replicationFactor
                    + ") on "
                    + bootstrapServers
                    + ": "
                    + rootMessage(e),
                e.getCause());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while creating topics " + topics, e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new StackException(
          "creating topics " + topics + " on " + bootstrapServers + " timed out after 30 s", e);
    }
  }

  private static StackException unreachable(String bootstrapServers, String source, Exception e) {
    return new StackException(
        "could not reach Kafka at "
            + bootstrapServers
            + " (from "
            + source
            + "): "
            + rootMessage(e)
            + ". Check the address (a running `freshet demo` prints its broker's; it must be"
            + " reachable from here as from the Flink cluster).",
        e);
  }

  /**
   * The offsets of {@code topic} a bounded read by record timestamp covers, summed over its
   * partitions: in each, from the first offset whose record's timestamp is at or after {@code from}
   * (the earliest offset when {@code from} is null) to the first at or after {@code to} (the end
   * when there is none), as Flink's Kafka source bounds such a read. Control records of
   * transactions take offsets too, so at most this many records are read. -1 when Kafka cannot tell
   * within 15 s (the topic is missing, the broker unreachable).
   */
  public static long offsetsBetween(
      String bootstrapServers, String topic, Instant from, Instant to) {
    try (Admin admin = admin(bootstrapServers)) {
      TopicDescription d =
          admin.describeTopics(List.of(topic)).allTopicNames().get(15, TimeUnit.SECONDS).get(topic);
      Map<TopicPartition, OffsetSpec> starts = new HashMap<>();
      Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (TopicPartitionInfo p : d.partitions()) {
        TopicPartition tp = new TopicPartition(topic, p.partition());
        starts.put(
            tp,
            from == null ? OffsetSpec.earliest() : OffsetSpec.forTimestamp(from.toEpochMilli()));
        ends.put(tp, OffsetSpec.forTimestamp(to.toEpochMilli()));
        latest.put(tp, OffsetSpec.latest());
      }
      Map<TopicPartition, ListOffsetsResultInfo> s =
          admin.listOffsets(starts).all().get(15, TimeUnit.SECONDS);
      Map<TopicPartition, ListOffsetsResultInfo> e =
          admin.listOffsets(ends).all().get(15, TimeUnit.SECONDS);
      Map<TopicPartition, ListOffsetsResultInfo> l =
          admin.listOffsets(latest).all().get(15, TimeUnit.SECONDS);
      long total = 0;
      for (TopicPartition tp : latest.keySet()) {
        long end = l.get(tp).offset();
        long hi = e.get(tp).offset() < 0 ? end : e.get(tp).offset();
        long lo = s.get(tp).offset() < 0 ? end : s.get(tp).offset();
        total += Math.max(0, hi - lo);
      }
      return total;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    } catch (Exception e) {
      return -1;
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
