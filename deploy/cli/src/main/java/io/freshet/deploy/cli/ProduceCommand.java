package io.freshet.deploy.cli;

import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.stack.KafkaTopics;
import io.freshet.deploy.stack.StackException;
import io.freshet.plan.ViewPlan;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code freshet produce}: sends JSON events, one per line, to a view's Kafka topic after checking
 * each with the streaming job's own {@link EventDecoder}, so an event the job would set aside as a
 * dead letter is reported with its line and never sent.
 */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Sends events to a view's Kafka topic, checking each first.",
      "",
      "Reads JSON events, one object per line, from --input or standard input. Each is checked by"
          + " the streaming job's own decoder (entity key, event time, field types, sane"
          + " timestamps); a good event is sent to the view's topic keyed by its entity key"
          + " (idempotent producer, acks=all), a bad one is printed on standard error as"
          + " 'line N: <reason>' and not sent. Blank lines are skipped. Ends with the counts"
          + " sent and rejected.",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:every event was sent (or, with --dry-run, would be)",
      "1:Kafka could not be reached, the topic does not exist, or the broker refused events",
      "2:the definitions or the command line are invalid; nothing was sent",
      "3:some events were rejected (each printed with its line); the others were sent"
    },
    footer = {
      "",
      "Example, with the broker address `freshet demo` prints:",
      "  echo '{\"user_id\":\"me\",\"event_ts\":'$(date +%%s000)'}' \\",
      "    | freshet produce --view user_activity --kafka <bootstrap>"
    })
final class ProduceCommand implements Callable<Integer> {
  private static final String STDIN = "-";
  private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(30);

  @Spec CommandSpec spec;

  @Option(
      names = {"--view", "--views"},
      required = true,
      paramLabel = "<view>",
      description = "The view whose topic receives the events, e.g. user_activity (one view).")
  String view;

  @Option(
      names = "--input",
      paramLabel = "<file.jsonl>",
      description = "JSON events, one per line ('-' or none: standard input).")
  String input;

  @Option(
      names = "--kafka",
      paramLabel = "<bootstrap>",
      description =
          "Kafka bootstrap servers holding the view's topic (default: FRESHET_KAFKA; `freshet"
              + " demo` prints its broker's).")
  String kafka;

  @Mixin DefinitionsOption definitions;

  @Option(
      names = "--dry-run",
      description = "Check the events and report the bad ones, but send nothing (Kafka unused).")
  boolean dryRun;

  @Option(
      names = "--create-topic",
      description =
          "Create the view's topic when it does not exist, with the cluster's default partitions"
              + " and replication (default: refuse, naming the topic).")
  boolean createTopic;

  private final Map<String, String> env;
  private final InputStream stdin;

  ProduceCommand() {
    this(System.getenv(), System.in);
  }

  ProduceCommand(Map<String, String> env, InputStream stdin) {
    this.env = env;
    this.stdin = stdin;
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (view.contains(",")) {
      throw new UsageException(
          "produce sends to one view's topic, got --view "
              + view
              + ": name one view (views that read the same topic all see its events)");
    }
    if (dryRun && createTopic) {
      throw new UsageException(
          "--dry-run sends nothing and leaves Kafka alone; --create-topic would change it: drop"
              + " one of them");
    }
    Definitions defs = definitions.load();
    ViewPlan plan = DefinitionsOption.plans(defs, List.of(view)).get(0);
    String topic = plan.source().topic();
    boolean fromStdin = input == null || STDIN.equals(input);
    if (!fromStdin && !Files.isRegularFile(Path.of(input))) {
      throw new UsageException(
          "--input "
              + input
              + ": there is no such file (give a file of JSON events, one per line, or leave"
              + " --input out to read standard input)");
    }
    String from = fromStdin ? "standard input" : input;
    Setting kafkaSetting = dryRun ? null : requireKafka(topic);

    out.printf(
        "freshet produce: %s (version %s) from %s, %s%n",
        plan.name(),
        plan.versionTag(),
        defs.describe(),
        dryRun
            ? "checking " + from + " (dry run: nothing is sent)"
            : "sending "
                + from
                + " to topic "
                + topic
                + " on "
                + kafkaSetting.value()
                + " (from "
                + kafkaSetting.source()
                + ")");
    out.flush();
    if (fromStdin && stdin == System.in && System.console() != null) {
      err.println("Reading events from standard input, one JSON object per line; end with Ctrl-D.");
      err.flush();
    }

    EventDecoder decoder = new EventDecoder(plan);
    try (BufferedReader reader =
            new BufferedReader(
                new InputStreamReader(
                    fromStdin ? stdin : Files.newInputStream(Path.of(input)),
                    StandardCharsets.UTF_8));
        Sender sender = dryRun ? null : new Sender(kafkaSetting.value(), topic)) {
      long lineNumber = 0;
      long good = 0;
      long rejected = 0;
      String line;
      while ((line = reader.readLine()) != null) {
        lineNumber++;
        if (lineNumber == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1);
        }
        if (line.isBlank()) {
          continue;
        }
        Decoded decoded = decoder.decode(line, "line " + lineNumber);
        if (!decoded.isOk()) {
          rejected++;
          err.printf("line %d: %s%n", lineNumber, decoded.rejection());
          err.flush();
          continue;
        }
        good++;
        if (sender != null) {
          sender.send(lineNumber, decoded.event().key, line);
          if (sender.failure() != null) {
            break;
          }
        }
      }
      if (sender == null) {
        out.printf("dry run: %d would be sent, rejected %d; nothing was sent%n", good, rejected);
        out.flush();
        return rejected == 0 ? FreshetCommand.EXIT_OK : FreshetCommand.EXIT_REJECTED;
      }
      sender.flush();
      out.printf("sent %d, rejected %d%n", sender.acknowledged(), rejected);
      out.flush();
      Failure failure = sender.failure();
      if (failure != null) {
        throw new StackException(
            "Kafka at "
                + kafkaSetting.value()
                + " did not take every event: "
                + sender.failed()
                + " not delivered, the first on line "
                + failure.line()
                + ": "
                + failure.message()
                + "; reading ended at line "
                + lineNumber
                + ". The "
                + sender.acknowledged()
                + " counted as sent are on topic "
                + topic
                + "; send the rest again once Kafka takes events.");
      }
      if (rejected > 0) {
        out.println(
            "The rejected lines were not sent; each is listed above (on standard error) with its"
                + " reason.");
        out.flush();
        return FreshetCommand.EXIT_REJECTED;
      }
      return FreshetCommand.EXIT_OK;
    }
  }

  /** The Kafka to send to, with the view's topic present on it (created if asked). */
  private Setting requireKafka(String topic) {
    Setting kafkaSetting = Setting.resolve(kafka, "--kafka", "FRESHET_KAFKA", env);
    if (kafkaSetting == null) {
      throw new UsageException(
          "no Kafka to send to: pass --kafka <bootstrap> or set FRESHET_KAFKA (a running `freshet"
              + " demo` prints the address of its broker under \"Where to look\")");
    }
    if (!KafkaTopics.exists(kafkaSetting.value(), kafkaSetting.source(), topic)) {
      if (!createTopic) {
        throw new StackException(
            "topic '"
                + topic
                + "' of view "
                + view.strip()
                + " does not exist on "
                + kafkaSetting.value()
                + " (from "
                + kafkaSetting.source()
                + "): check that this is the Kafka the streaming job reads, or pass"
                + " --create-topic to create it");
      }
      KafkaTopics.createWithClusterDefaults(kafkaSetting.value(), topic);
    }
    return kafkaSetting;
  }

  /** Why an event could not be delivered. */
  private record Failure(long line, String message) {}

  /** A Kafka producer that counts what the broker acknowledged and keeps the first failure. */
  private static final class Sender implements AutoCloseable {
    private final String topic;
    private final KafkaProducer<String, String> producer;
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Failure> failure = new AtomicReference<>();

    Sender(String bootstrapServers, String topic) {
      this.topic = topic;
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
      p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
      p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) DELIVERY_TIMEOUT.toMillis());
      p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, DELIVERY_TIMEOUT.toMillis());
      p.put(ProducerConfig.CLIENT_ID_CONFIG, "freshet-produce");
      this.producer = new KafkaProducer<>(p);
    }

    void send(long line, String key, String value) {
      try {
        producer.send(
            new ProducerRecord<>(topic, key, value),
            (metadata, error) -> {
              if (error == null) {
                acknowledged.incrementAndGet();
              } else {
                fail(line, error);
              }
            });
      } catch (KafkaException e) {
        fail(line, e);
      }
    }

    private void fail(long line, Exception error) {
      failed.incrementAndGet();
      failure.compareAndSet(
          null,
          new Failure(
              line,
              error.getClass().getSimpleName()
                  + (error.getMessage() == null ? "" : ": " + error.getMessage())));
    }

    /** Waits until every event sent so far was acknowledged or failed. */
    void flush() {
      producer.flush();
    }

    long acknowledged() {
      return acknowledged.get();
    }

    long failed() {
      return failed.get();
    }

    /** The first failure, or null. */
    Failure failure() {
      return failure.get();
    }

    @Override
    public void close() {
      producer.close(DELIVERY_TIMEOUT);
    }
  }
}
