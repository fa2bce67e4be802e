package io.freshet.deploy.stack;

import io.freshet.deploy.flink.ClusterOverview;
import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.deploy.flink.FlinkRestException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A Flink session cluster from Maven jars: one JobManager ({@code
 * StandaloneSessionClusterEntrypoint}) and one TaskManager ({@code TaskManagerRunner}), each in a
 * child JVM started the way Flink's {@code jobmanager.sh} and {@code taskmanager.sh} start them:
 * memory flags and dynamic properties computed by {@code BashJavaUtils} from the written {@code
 * config.yaml}. Logs go to the work directory; the web UI is served on the REST port.
 */
public final class FlinkSessionCluster implements AutoCloseable {
  static final String JOB_MANAGER_MAIN =
      "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
  static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
  static final String BASH_JAVA_UTILS = "org.apache.flink.runtime.util.bash.BashJavaUtils";
  static final String RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);

  private final FlinkClusterConfig config;
  private final FlinkRestClient rest;
  private final Path logDir;
  private ChildJvm jobManager; // guarded by this
  private ChildJvm taskManager;
  private final List<ChildJvm> moreTaskManagers = new ArrayList<>();
  private Path classpathDir;
  private Path confDir;
  private ResourceParams taskManagerParams;
  private ResourceParams jobManagerParams;
  private boolean closed; // guarded by this

  private FlinkSessionCluster(FlinkClusterConfig config, Path logDir) {
    this.config = config;
    this.logDir = logDir;
    this.rest = new FlinkRestClient(URI.create("http://localhost:" + config.restPort()));
  }

  /**
   * Writes {@code workDir/flink/conf/config.yaml}, starts the JobManager, then the TaskManager, and
   * returns once the TaskManager has registered.
   *
   * @param classpathDir the cluster's classpath (the flink-runtime module's target/lib)
   */
  public static FlinkSessionCluster start(
      Path classpathDir, Path workDir, FlinkClusterConfig config) {
    Path confDir = workDir.resolve("flink").resolve("conf");
    Path logDir = workDir.resolve("logs");
    try {
      Files.createDirectories(confDir);
      Files.createDirectories(config.dataDir().resolve("uploads"));
      Files.createDirectories(config.dataDir().resolve("tmp"));
      Files.writeString(confDir.resolve("config.yaml"), config.toYaml());
      Files.writeString(confDir.resolve("log4j.properties"), FlinkClusterConfig.log4jProperties());
    } catch (IOException e) {
      throw new StackException("could not write the Flink configuration to " + confDir, e);
    }
    FlinkSessionCluster cluster = new FlinkSessionCluster(config, logDir);
    try {
      cluster.startProcesses(classpathDir, confDir);
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  private void startProcesses(Path classpathDir, Path confDir) {
    CompletableFuture<ResourceParams> jmParams =
        CompletableFuture.supplyAsync(
            () -> resourceParams(classpathDir, confDir, "GET_JM_RESOURCE_PARAMS", "jobmanager"));
    CompletableFuture<ResourceParams> tmParams =
        CompletableFuture.supplyAsync(
            () -> resourceParams(classpathDir, confDir, "GET_TM_RESOURCE_PARAMS", "taskmanager"));
    this.classpathDir = classpathDir;
    this.confDir = confDir;
    this.jobManagerParams = join(jmParams);
    synchronized (this) {
      jobManager = newJobManager();
    }
    ResourceParams tm = join(tmParams);
    this.taskManagerParams = tm;
    taskManager =
        ChildJvm.start(
            "Flink TaskManager",
            classpathDir,
            jvmArgs(tm, confDir, logDir.resolve("flink-taskmanager.log")),
            TASK_MANAGER_MAIN,
            programArgs(confDir, tm),
            logDir.resolve("flink-taskmanager.out"));
    awaitTaskManager();
  }

  private ChildJvm newJobManager() {
    return ChildJvm.start(
        "Flink JobManager",
        classpathDir,
        jvmArgs(jobManagerParams, confDir, logDir.resolve("flink-jobmanager.log")),
        JOB_MANAGER_MAIN,
        programArgs(confDir, jobManagerParams),
        logDir.resolve("flink-jobmanager.out"));
  }

  /**
   * Starts a new JobManager in place of one that died, with the same configuration and ports, and
   * returns once its REST API answers. The TaskManagers register with it again by themselves; the
   * jobs of the old one are lost (a standalone cluster without HA keeps none).
   *
   * @throws StackException when the cluster is closing, or the JobManager does not come up
   */
  public ChildJvm restartJobManager() {
    ChildJvm jm;
    synchronized (this) {
      requireOpen("restart the JobManager");
      if (jobManager.isAlive()) {
        throw new StackException("the " + jobManager + " is still running; it needs no restart");
      }
      jm = newJobManager();
      jobManager = jm;
    }
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    String last = "the REST API did not answer";
    while (System.nanoTime() < deadline) {
      jm.requireAlive();
      try {
        rest.overview();
        return jm;
      } catch (FlinkRestException e) {
        last = e.getMessage();
      }
      sleep(500);
    }
    throw new StackException(
        "the restarted Flink JobManager did not answer within "
            + STARTUP_TIMEOUT.toSeconds()
            + " s ("
            + last
            + "); see "
            + logDir.resolve("flink-jobmanager.log"));
  }

  /** The JobManager process started last. */
  public synchronized ChildJvm jobManager() {
    return jobManager;
  }

  private void requireOpen(String what) {
    if (closed) {
      throw new StackException("cannot " + what + ": the Flink cluster is stopping");
    }
  }

  private static ResourceParams join(CompletableFuture<ResourceParams> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  private ResourceParams resourceParams(
      Path classpathDir, Path confDir, String command, String process) {
    String output =
        ChildJvm.run(
            "Flink " + process + " memory calculation",
            classpathDir,
            List.of(
                "-Xmx128m",
                "-Dlog.file=" + logDir.resolve("flink-bash-java-utils-" + process + ".log"),
                "-Dlog4j.configurationFile=" + confDir.resolve("log4j.properties").toUri()),
            BASH_JAVA_UTILS,
            List.of(command, "--configDir", confDir.toString()),
            logDir.resolve("flink-bash-java-utils-" + process + ".out"),
            Duration.ofSeconds(60));
    return ResourceParams.parse(output, command);
  }

  private static List<String> jvmArgs(ResourceParams params, Path confDir, Path logFile) {
    List<String> args = new ArrayList<>(params.jvmArgs());
    args.add("-XX:+UseG1GC");
    args.addAll(ChildJvm.FLINK_JAVA_OPTS);
    args.add("-Dlog.file=" + logFile);
    args.add("-Dlog4j.configurationFile=" + confDir.resolve("log4j.properties").toUri());
    return args;
  }

  private static List<String> programArgs(Path confDir, ResourceParams params) {
    List<String> args = new ArrayList<>(List.of("--configDir", confDir.toString()));
    args.addAll(params.dynamicProperties());
    return args;
  }

  private void awaitTaskManager() {
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    String last = "the REST API did not answer";
    while (System.nanoTime() < deadline) {
      jobManager().requireAlive();
      taskManager.requireAlive();
      try {
        ClusterOverview o = rest.overview();
        // A TaskManager is counted when it registers and its slots only with its first slot
        // report: ready means slots a job can use.
        if (o.taskManagers() >= 1 && o.slotsTotal() >= 1) {
          return;
        }
        last =
            o.taskManagers() >= 1
                ? "a TaskManager had registered but reported no slots yet"
                : "no TaskManager had registered";
      } catch (FlinkRestException e) {
        last = e.getMessage();
      }
      sleep(500);
    }
    throw new StackException(
        "the Flink cluster was not ready within "
            + STARTUP_TIMEOUT.toSeconds()
            + " s ("
            + last
            + "); see "
            + logDir.resolve("flink-jobmanager.log")
            + " and "
            + logDir.resolve("flink-taskmanager.log"));
  }

  /**
   * Starts one more TaskManager with the same configuration (for a second TaskManager, or one that
   * replaces a TaskManager that died); returns without waiting for it to register.
   */
  public synchronized ChildJvm startTaskManager() {
    requireOpen("start a TaskManager");
    int n = moreTaskManagers.size() + 2;
    ChildJvm tm =
        ChildJvm.start(
            "Flink TaskManager " + n,
            classpathDir,
            jvmArgs(taskManagerParams, confDir, logDir.resolve("flink-taskmanager-" + n + ".log")),
            TASK_MANAGER_MAIN,
            programArgs(confDir, taskManagerParams),
            logDir.resolve("flink-taskmanager-" + n + ".out"));
    moreTaskManagers.add(tm);
    return tm;
  }

  /** The TaskManager processes started so far, the first one first (dead ones included). */
  public synchronized List<ChildJvm> taskManagers() {
    List<ChildJvm> tms = new ArrayList<>();
    if (taskManager != null) {
      tms.add(taskManager);
    }
    tms.addAll(moreTaskManagers);
    return tms;
  }

  /** The REST endpoint and web UI, e.g. {@code http://localhost:8081}. */
  public URI restUri() {
    return rest.baseUri();
  }

  public FlinkRestClient rest() {
    return rest;
  }

  public FlinkClusterConfig config() {
    return config;
  }

  /** The cluster's processes, for checks that they are gone after {@link #close()}. */
  public synchronized List<ChildJvm> processes() {
    List<ChildJvm> p = new ArrayList<>();
    if (jobManager != null) {
      p.add(jobManager);
    }
    p.addAll(taskManagers());
    return p;
  }

  /**
   * Stops the TaskManagers, then the JobManager, waiting for the processes to exit; no process
   * starts after this.
   */
  @Override
  public void close() {
    ChildJvm jm;
    synchronized (this) {
      closed = true;
      jm = jobManager;
    }
    for (ChildJvm tm : taskManagers()) {
      tm.stop(Duration.ofSeconds(30));
    }
    if (jm != null) {
      jm.stop(Duration.ofSeconds(30));
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while waiting for the Flink cluster", e);
    }
  }

  /**
   * What {@code BashJavaUtils GET_*_RESOURCE_PARAMS} prints: the JVM memory flags and the memory
   * settings as {@code -D key=value} dynamic properties.
   */
  record ResourceParams(List<String> jvmArgs, List<String> dynamicProperties) {
    static ResourceParams parse(String output, String command) {
      List<String> results =
          output
              .lines()
              .filter(l -> l.startsWith(RESULT_PREFIX))
              .map(l -> l.substring(RESULT_PREFIX.length()).strip())
              .toList();
      if (results.size() < 2) {
        throw new StackException(
            "BashJavaUtils "
                + command
                + " printed "
                + results.size()
                + " result lines, expected 2 (JVM flags, dynamic properties):\n"
                + ChildJvm.tail(output, 20));
      }
      return new ResourceParams(
          words(results.get(results.size() - 2)), words(results.get(results.size() - 1)));
    }

    private static List<String> words(String line) {
      return line.isBlank() ? List.of() : Arrays.asList(line.strip().split("\\s+"));
    }
  }
}
