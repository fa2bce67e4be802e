package io.freshet.deploy.stack;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code config.yaml} of the local Flink session cluster: one JobManager and one TaskManager on
 * loopback, RocksDB with incremental checkpoints to a local folder, modest memory.
 *
 * @param restPort the REST API and web UI port
 * @param rpcPort the JobManager's RPC port
 * @param dataDir the folder for checkpoints, savepoints, uploaded jars and temporary files
 * @param taskSlots slots of the one TaskManager
 * @param taskManagerMemory {@code taskmanager.memory.process.size}, e.g. "1728m"
 * @param jobManagerMemory {@code jobmanager.memory.process.size}, e.g. "1024m"
 */
public record FlinkClusterConfig(
    int restPort,
    int rpcPort,
    Path dataDir,
    int taskSlots,
    String taskManagerMemory,
    String jobManagerMemory) {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._/-]+");

  public FlinkClusterConfig {
    if (taskSlots < 1) {
      throw new IllegalArgumentException("taskSlots must be at least 1, got " + taskSlots);
    }
  }

  /** The defaults of {@code freshet demo}: 2 slots, a 1728m TaskManager, a 1024m JobManager. */
  public static FlinkClusterConfig local(int restPort, int rpcPort, Path dataDir) {
    return new FlinkClusterConfig(restPort, rpcPort, dataDir, 2, "1728m", "1024m");
  }

  /** The entries in file order. */
  public Map<String, String> entries() {
    Path data = dataDir.toAbsolutePath();
    Map<String, String> e = new LinkedHashMap<>();
    e.put("jobmanager.rpc.address", "localhost");
    e.put("jobmanager.rpc.port", Integer.toString(rpcPort));
    e.put("jobmanager.bind-host", "localhost");
    e.put("jobmanager.memory.process.size", jobManagerMemory);
    e.put("taskmanager.host", "localhost");
    e.put("taskmanager.bind-host", "localhost");
    e.put("taskmanager.memory.process.size", taskManagerMemory);
    e.put("taskmanager.numberOfTaskSlots", Integer.toString(taskSlots));
    // One slot per job unless a job asks for more: the demo's job leaves room for a user's own.
    e.put("parallelism.default", "1");
    e.put("rest.address", "localhost");
    e.put("rest.bind-address", "localhost");
    e.put("rest.port", Integer.toString(restPort));
    e.put("web.submit.enable", "true");
    e.put("web.cancel.enable", "true");
    e.put("web.upload.dir", data.resolve("uploads").toString());
    e.put("io.tmp.dirs", data.resolve("tmp").toString());
    e.put("state.backend.type", "rocksdb");
    e.put("execution.checkpointing.incremental", "true");
    e.put("execution.checkpointing.dir", fileUri(checkpointsDir()));
    e.put("execution.checkpointing.savepoint-dir", fileUri(data.resolve("savepoints")));
    e.put("execution.checkpointing.num-retained", "2");
    // A JobManager restarted without HA has lost its jobs; they are resubmitted from the newest
    // checkpoint left on disk, so checkpoints must outlive the job that wrote them.
    e.put("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
    // A TaskManager that dies is replaced; the job restarts on the new one as often as it takes.
    e.put("restart-strategy.type", "exponential-delay");
    e.put("restart-strategy.exponential-delay.initial-backoff", "1s");
    e.put("restart-strategy.exponential-delay.max-backoff", "10s");
    e.put("restart-strategy.exponential-delay.reset-backoff-threshold", "2min");
    e.put(
        "restart-strategy.exponential-delay.attempts-before-reset-backoff",
        Integer.toString(Integer.MAX_VALUE));
    // A TaskManager killed without a goodbye is noticed after two failed heartbeats.
    e.put("heartbeat.interval", "5000");
    return e;
  }

  /** Where checkpoints go: one folder per job id, holding {@code chk-N/_metadata}. */
  public Path checkpointsDir() {
    return dataDir.toAbsolutePath().resolve("checkpoints");
  }

  /** The file's text: flattened keys, one per line, in {@link #entries()} order. */
  public String toYaml() {
    StringBuilder sb = new StringBuilder("# Written by freshet demo; rewritten on every start.\n");
    for (Map.Entry<String, String> e : entries().entrySet()) {
      sb.append(e.getKey()).append(": ").append(yamlScalar(e.getValue())).append('\n');
    }
    return sb.toString();
  }

  /** {@code file:///a/b}, the same whether or not the folder exists yet. */
  private static String fileUri(Path p) {
    String uri = p.toUri().toString();
    return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
  }

  static String yamlScalar(String value) {
    if (PLAIN.matcher(value).matches()) {
      return value;
    }
    return "'" + value.replace("'", "''") + "'";
  }

  /**
   * The log4j2 configuration of the cluster's processes: everything to the file {@code log.file}.
   */
  public static String log4jProperties() {
    return String.join(
            "\n",
            "monitorInterval = 0",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.file.ref = MainAppender",
            "logger.akka.name = akka",
            "logger.akka.level = INFO",
            "logger.pekko.name = org.apache.pekko",
            "logger.pekko.level = INFO",
            "logger.kafka.name = org.apache.kafka",
            "logger.kafka.level = INFO",
            "logger.netty.name = org.jboss.netty.channel.DefaultChannelPipeline",
            "logger.netty.level = OFF",
            "appender.main.name = MainAppender",
            "appender.main.type = File",
            "appender.main.append = true",
            "appender.main.fileName = ${sys:log.file}",
            "appender.main.layout.type = PatternLayout",
            "appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n")
        + "\n";
  }
}
