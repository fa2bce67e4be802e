package io.freshet.deploy.cli;

import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --kafka}: the bootstrap servers the job reads from. */
final class KafkaOption {
  @Option(
      names = "--kafka",
      paramLabel = "<bootstrap>",
      description =
          "Kafka bootstrap servers holding the views' topics, as the Flink cluster reaches them"
              + " (default: FRESHET_KAFKA).")
  String kafka;

  /** The flag's value, else FRESHET_KAFKA's, else null. */
  Setting resolve(Map<String, String> env) {
    return Setting.resolve(kafka, "--kafka", "FRESHET_KAFKA", env);
  }
}
