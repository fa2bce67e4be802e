package io.freshet.deploy.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * A single-node KRaft Kafka broker (combined broker and controller) in a child JVM, its log
 * directory formatted fresh under the work directory: {@code kafka.tools.StorageTool format}, then
 * {@code kafka.Kafka server.properties}, as Kafka's own scripts do.
 */
public final class KafkaBroker implements AutoCloseable {
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);

  private final int port;
  private final String bootstrapServers;
  private final Path classpathDir;
  private final List<String> jvmArgs;
  private final Path properties;
  private final Path outputFile;
  private ChildJvm jvm; // guarded by this
  private boolean closed; // guarded by this

  private KafkaBroker(
      int port, Path classpathDir, List<String> jvmArgs, Path properties, Path outputFile) {
    this.port = port;
    this.bootstrapServers = "127.0.0.1:" + port;
    this.classpathDir = classpathDir;
    this.jvmArgs = jvmArgs;
    this.properties = properties;
    this.outputFile = outputFile;
  }

  /**
   * Formats a new log directory under {@code workDir/kafka} and starts the broker on {@code port}
   * (the controller takes another free port). Returns once the broker answers.
   *
   * @param classpathDir the broker's classpath (the kafka-runtime module's target/lib)
   * @param workDir where configuration, data and logs go
   */
  public static KafkaBroker start(Path classpathDir, Path workDir, int port) {
    Path dir = workDir.resolve("kafka");
    Path logs = workDir.resolve("logs");
    int controllerPort = Ports.free();
    Path properties = dir.resolve("server.properties");
    Path log4j = dir.resolve("log4j2.properties");
    try {
      Files.createDirectories(dir);
      Files.writeString(properties, serverProperties(port, controllerPort, dir.resolve("data")));
      Files.writeString(log4j, log4jProperties(logs.resolve("kafka.log")));
    } catch (IOException e) {
      throw new StackException("could not write the Kafka configuration to " + dir, e);
    }
    List<String> jvmArgs =
        List.of(
            "-Xms256m",
            "-Xmx512m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            "-Dlog4j2.configurationFile=" + log4j.toUri());
    ChildJvm.run(
        "Kafka storage formatter",
        classpathDir,
        jvmArgs,
        "kafka.tools.StorageTool",
        List.of(
            "format",
            "--cluster-id",
            Uuid.randomUuid().toString(),
            "--config",
            properties.toString()),
        logs.resolve("kafka-format.out"),
        Duration.ofSeconds(60));
    KafkaBroker broker =
        new KafkaBroker(port, classpathDir, jvmArgs, properties, logs.resolve("kafka.out"));
    try {
      synchronized (broker) {
        broker.jvm = broker.newProcess();
      }
      broker.awaitReady();
    } catch (RuntimeException e) {
      broker.close();
      throw e;
    }
    return broker;
  }

  private ChildJvm newProcess() {
    return ChildJvm.start(
        "Kafka broker",
        classpathDir,
        jvmArgs,
        "kafka.Kafka",
        List.of(properties.toString()),
        outputFile);
  }

  /**
   * Starts a new broker process in place of one that died: the same configuration, so the same
   * port, controller port and log directory, with the topics, committed offsets and transaction
   * state in it. Returns once the broker answers.
   *
   * @throws StackException when the broker is closing, or the new one does not come up
   */
  public ChildJvm restart() {
    ChildJvm next;
    synchronized (this) {
      if (closed) {
        throw new StackException("cannot restart the Kafka broker: it is stopping");
      }
      if (jvm.isAlive()) {
        throw new StackException("the " + jvm + " is still running; it needs no restart");
      }
      next = newProcess();
      jvm = next;
    }
    awaitReady();
    return next;
  }

  /** The configuration of a one-node combined broker and controller on loopback. */
  static String serverProperties(int port, int controllerPort, Path dataDir) {
    return String.join(
            "\n",
            "process.roles=broker,controller",
            "node.id=1",
            "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
            "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
            "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs=" + dataDir.toAbsolutePath(),
            "num.partitions=2",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=4",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "transaction.state.log.num.partitions=4",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0")
        + "\n";
  }

  private static String log4jProperties(Path logFile) {
    return String.join(
            "\n",
            "status = warn",
            "appender.file.type = File",
            "appender.file.name = file",
            "appender.file.fileName = " + logFile.toAbsolutePath(),
            "appender.file.layout.type = PatternLayout",
            "appender.file.layout.pattern = [%d] %p %m (%c)%n",
            "rootLogger.level = info",
            "rootLogger.appenderRef.file.ref = file",
            "logger.kafka.name = kafka",
            "logger.kafka.level = info",
            "logger.orgkafka.name = org.apache.kafka",
            "logger.orgkafka.level = warn")
        + "\n";
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      process().requireAlive();
      if (!Ports.listening("127.0.0.1", port)) {
        sleep(250);
        continue;
      }
      try (Admin admin = admin()) {
        if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
          return;
        }
      } catch (Exception e) {
        last = e;
      }
      sleep(500);
    }
    throw new StackException(
        "the Kafka broker on "
            + bootstrapServers
            + " did not become ready within "
            + STARTUP_TIMEOUT.toSeconds()
            + " s"
            + (last == null ? "" : " (" + last.getMessage() + ")")
            + "; see "
            + outputFile.resolveSibling("kafka.log"));
  }

  /** Creates a topic with replication factor 1; an existing topic is left as it is. */
  public void createTopic(String topic, int partitions) {
    KafkaTopics.ensure(bootstrapServers, "the local broker", topic, partitions);
  }

  private Admin admin() {
    return KafkaTopics.admin(bootstrapServers);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The broker's process started last, for checks that it is gone after {@link #close()}. */
  public synchronized ChildJvm process() {
    return jvm;
  }

  /** Stops the broker and waits for its process to exit; no process starts after this. */
  @Override
  public void close() {
    ChildJvm last;
    synchronized (this) {
      closed = true;
      last = jvm;
    }
    if (last != null) {
      last.stop(Duration.ofSeconds(30));
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while waiting for the Kafka broker", e);
    }
  }
}
