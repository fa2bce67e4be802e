package io.freshet.flink.sink;

import io.freshet.flink.sink.offline.PostgresOfflineSink;
import io.freshet.flink.sink.online.RedisOnlineSink;
import io.freshet.storage.FeatureRow;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.rest.messages.EmptyRequestBody;
import org.apache.flink.runtime.rest.messages.JobExceptionsHeaders;
import org.apache.flink.runtime.rest.messages.JobExceptionsInfoWithHistory;
import org.apache.flink.runtime.rest.messages.job.JobExceptionsMessageParameters;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * The job the end-to-end sink tests run: numbers 0..n-1 from one checkpointed source, paced to a
 * fixed rate, keyed by entity, turned into {@link GeneratedRows} rows and written by the
 * exactly-once rows sinks (see {@link #run}). A single source subtask keeps each entity's rows in
 * order, so the oracle is exact.
 *
 * <p>Failures are planned as a list of (kind, position) and fired one after another: a fault fires
 * once the stream has reached its position and a checkpoint has completed since the previous fault.
 * How many faults fit into the stream would then depend on how fast checkpoints complete, which a
 * loaded machine slows down; so past the end of the planned range the stream trickles, a row per
 * millisecond, until every planned fault has fired. State is static: the MiniCluster runs in this
 * JVM, and restarts must not reset it.
 */
final class PacedRowsJob {
  /** Where a failure is injected. */
  enum Fault {
    /** In the middle of the stream, between two rows. */
    BETWEEN_ROWS,
    /** While the source task takes its snapshot, after the barrier went downstream. */
    AT_BARRIER,
    /** Right after a checkpoint completed, racing the commits it triggers. */
    AFTER_CHECKPOINT,
    OFFLINE_BEFORE_APPLY,
    /**
     * In the rows sink serving online, after the online write and before the offline transaction:
     * the online store serves rows whose offline versions are not written yet.
     */
    OFFLINE_BETWEEN_STORES,
    OFFLINE_MID_APPLY,
    OFFLINE_AFTER_APPLY,
    ONLINE_BEFORE_APPLY,
    ONLINE_MID_APPLY,
    ONLINE_AFTER_APPLY,
    TILES_BEFORE_APPLY,
    /** Between the online and the offline write of a tile commit. */
    TILES_MID_APPLY,
    TILES_AFTER_APPLY,
    /**
     * When a replayed tile commit was recognised as already committed; fires at the first such
     * replay once it is the next planned fault (plan it right after a {@link #TILES_AFTER_APPLY},
     * whose replay is one).
     */
    TILES_ALREADY_COMMITTED,
    /** Inside the offline transaction of a tile commit; the test's observer makes it fail. */
    TILES_IN_OFFLINE_WRITE
  }

  /**
   * The faults of the rows job as the job compiler wires a window-end view: one committer writes
   * both stores (store {@code OFFLINE} at the commit points), so every commit fault is an {@code
   * OFFLINE_} one, and {@link Fault#OFFLINE_MID_APPLY} too falls after the online write.
   */
  static final List<Fault> ROW_FAULTS =
      List.of(
          Fault.BETWEEN_ROWS,
          Fault.AT_BARRIER,
          Fault.AFTER_CHECKPOINT,
          Fault.OFFLINE_BEFORE_APPLY,
          Fault.OFFLINE_BETWEEN_STORES,
          Fault.OFFLINE_MID_APPLY,
          Fault.OFFLINE_AFTER_APPLY);

  /**
   * The faults of the rows job with two separate sinks, an offline one and an online one: the
   * layout of jobs whose savepoints still hold online committables.
   */
  static final List<Fault> SEPARATE_SINK_FAULTS =
      List.of(
          Fault.BETWEEN_ROWS,
          Fault.AT_BARRIER,
          Fault.AFTER_CHECKPOINT,
          Fault.OFFLINE_BEFORE_APPLY,
          Fault.OFFLINE_MID_APPLY,
          Fault.OFFLINE_AFTER_APPLY,
          Fault.ONLINE_BEFORE_APPLY,
          Fault.ONLINE_MID_APPLY,
          Fault.ONLINE_AFTER_APPLY);

  private record Planned(Fault fault, long position) {}

  /** A failure thrown on purpose. */
  static final class InjectedFault extends IOException {
    InjectedFault(String message) {
      super(message);
    }
  }

  private static volatile List<Planned> plan = List.of();
  private static volatile long trickleFrom = Long.MAX_VALUE;
  private static final AtomicInteger nextFault = new AtomicInteger();
  private static final AtomicInteger checkpointsSinceFault = new AtomicInteger();
  static final AtomicLong highWater = new AtomicLong(-1);
  static final AtomicLong rowsEmitted = new AtomicLong();
  static final AtomicInteger checkpointsCompleted = new AtomicInteger();
  static final AtomicInteger maxAttempt = new AtomicInteger();
  static final Map<Fault, AtomicInteger> fired = new ConcurrentHashMap<>();
  static final Map<CommitFaults.Store, AtomicInteger> replaysSkipped = new ConcurrentHashMap<>();
  static final Map<CommitFaults.Store, AtomicInteger> commitsApplied = new ConcurrentHashMap<>();

  /** The job {@link #run} ran last. */
  static volatile JobID lastJob;

  /** Also told about every commit point, e.g. to cut a store off in the middle of a commit. */
  static volatile CommitFaults.Hook observer = (store, point, committable) -> {};

  /**
   * Told about each commit fault right before it is thrown, e.g. to read what the stores hold at
   * that instant.
   */
  static volatile CommitFaults.Hook beforeInjected = (store, point, committable) -> {};

  private PacedRowsJob() {}

  /** Resets all counters and plans {@code perKind} faults of each kind over the given range. */
  static void planFaults(int perKind, long from, long to, long seed) {
    planFaults(ROW_FAULTS, perKind, from, to, seed);
  }

  /**
   * Resets all counters and plans {@code perKind} faults of each of {@code faults} over the given
   * range, in random order except that each {@link Fault#TILES_ALREADY_COMMITTED} comes right after
   * a {@link Fault#TILES_AFTER_APPLY}.
   */
  static void planFaults(List<Fault> faults, int perKind, long from, long to, long seed) {
    List<Fault> kinds = new ArrayList<>();
    for (int k = 0; k < perKind; k++) {
      kinds.addAll(faults);
    }
    Random r = new Random(seed);
    Collections.shuffle(kinds, r);
    int replays = Collections.frequency(kinds, Fault.TILES_ALREADY_COMMITTED);
    if (replays > 0) {
      if (Collections.frequency(kinds, Fault.TILES_AFTER_APPLY) < replays) {
        throw new IllegalArgumentException(
            "each TILES_ALREADY_COMMITTED needs a TILES_AFTER_APPLY before it");
      }
      kinds.removeIf(f -> f == Fault.TILES_ALREADY_COMMITTED);
      for (int i = 0; i < kinds.size() && replays > 0; i++) {
        if (kinds.get(i) == Fault.TILES_AFTER_APPLY) {
          kinds.add(i + 1, Fault.TILES_ALREADY_COMMITTED);
          replays--;
        }
      }
    }
    List<Planned> planned = new ArrayList<>();
    for (int k = 0; k < kinds.size(); k++) {
      long slot = (to - from) / kinds.size();
      planned.add(new Planned(kinds.get(k), from + k * slot + (long) (r.nextDouble() * slot)));
    }
    reset(planned, to);
  }

  /** Resets all counters and plans no faults. */
  static void planNoFaults() {
    reset(List.of(), Long.MAX_VALUE);
  }

  private static void reset(List<Planned> planned, long trickleFrom) {
    plan = List.copyOf(planned);
    PacedRowsJob.trickleFrom = trickleFrom;
    nextFault.set(0);
    checkpointsSinceFault.set(0);
    highWater.set(-1);
    rowsEmitted.set(0);
    checkpointsCompleted.set(0);
    maxAttempt.set(0);
    fired.clear();
    replaysSkipped.clear();
    commitsApplied.clear();
    observer = (store, point, committable) -> {};
    beforeInjected = (store, point, committable) -> {};
    CommitFaults.install(PacedRowsJob::atCommitPoint);
  }

  static int faultsPlanned() {
    return plan.size();
  }

  static int faultsFired() {
    return fired.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  /** Fires the next planned fault if it is of this kind and due. */
  static boolean fire(Fault fault, long position) {
    return fire(fault, position, false);
  }

  private static boolean fire(Fault fault, long position, boolean whenNext) {
    int k = nextFault.get();
    List<Planned> p = plan;
    if (k >= p.size()) {
      return false;
    }
    Planned next = p.get(k);
    if (next.fault() != fault
        || (!whenNext && (position < next.position() || checkpointsSinceFault.get() < 1))) {
      return false;
    }
    if (!nextFault.compareAndSet(k, k + 1)) {
      return false;
    }
    checkpointsSinceFault.set(0);
    fired.computeIfAbsent(fault, f -> new AtomicInteger()).incrementAndGet();
    return true;
  }

  private static void atCommitPoint(
      CommitFaults.Store store, CommitFaults.Point point, CheckpointCommittable committable)
      throws IOException {
    observer.reached(store, point, committable);
    if (point == CommitFaults.Point.ALREADY_COMMITTED) {
      replaysSkipped.computeIfAbsent(store, s -> new AtomicInteger()).incrementAndGet();
      if (store == CommitFaults.Store.TILES
          && fire(Fault.TILES_ALREADY_COMMITTED, highWater.get(), true)) {
        throw new InjectedFault(
            "injected " + Fault.TILES_ALREADY_COMMITTED + " replaying " + committable);
      }
      return;
    }
    if (point == CommitFaults.Point.AFTER_APPLY) {
      commitsApplied.computeIfAbsent(store, s -> new AtomicInteger()).incrementAndGet();
    }
    Fault fault = Fault.valueOf(store + "_" + point);
    if (fire(fault, highWater.get())) {
      beforeInjected.reached(store, point, committable);
      throw new InjectedFault("injected " + fault + " committing " + committable);
    }
  }

  /**
   * Runs the job to its end and returns how long it took.
   *
   * <p>The job compiler's wiring of a window-end view ({@code FeatureJobCompiler.sinkRows}) is
   * {@code offline} serving online ({@link PostgresOfflineSink#servingOnline}) with {@code online}
   * {@link RedisOnlineSink#restoredOnly}; two plain sinks are the layout jobs had before.
   *
   * @param offline the offline sink, or null
   * @param online the online sink, or null
   */
  static Duration run(
      GeneratedRows data,
      int rowsPerSecond,
      Duration checkpointInterval,
      Path checkpoints,
      PostgresOfflineSink offline,
      RedisOnlineSink online,
      Duration timeout)
      throws Exception {
    StreamExecutionEnvironment env = environment(checkpointInterval, checkpoints);
    DataStream<Long> numbers = pacedNumbers(env, data.size(), rowsPerSecond);
    DataStream<FeatureRow> rows =
        numbers
            .keyBy(new EntityOf(data), Types.STRING)
            .map(data::row, TypeInformation.of(FeatureRow.class))
            .uid("rows")
            .name("rows");
    if (offline != null) {
      rows.sinkTo(offline).uid("offline-sink").name("offline");
    }
    if (online != null) {
      rows.sinkTo(online).uid("online-sink").name("online");
    }
    return execute(env, "paced rows", timeout);
  }

  /**
   * An environment restarting after every failure (1000 times, 50 ms apart), checkpointing at the
   * given interval into the given directory, at parallelism 2.
   */
  static StreamExecutionEnvironment environment(Duration checkpointInterval, Path checkpoints) {
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 1000);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(50));
    conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, checkpointInterval);
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.getConfig().enableObjectReuse();
    env.setParallelism(2);
    return env;
  }

  /** Numbers 0..count-1 from one checkpointed source subtask, paced, throwing stream faults. */
  static DataStream<Long> pacedNumbers(
      StreamExecutionEnvironment env, long count, int rowsPerSecond) {
    return env.fromSequence(0, count - 1)
        .setParallelism(1)
        .uid("numbers")
        .map(new Pacer(rowsPerSecond))
        .setParallelism(1)
        .uid("pacer")
        .name("pacer");
  }

  /** Runs the job to its end, with the expected noise silenced; how long it took. */
  static Duration execute(StreamExecutionEnvironment env, String name, Duration timeout)
      throws Exception {
    Map<String, Level> levels = new HashMap<>();
    for (String logger : EXPECTED_NOISE) {
      levels.put(logger, LogManager.getLogger(logger).getLevel());
      Configurator.setLevel(logger, Level.ERROR);
    }
    try {
      long started = System.nanoTime();
      JobClient job = env.executeAsync(name);
      lastJob = job.getJobID();
      job.getJobExecutionResult().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return Duration.ofNanos(System.nanoTime() - started);
    } finally {
      Configurator.setLevel(levels);
    }
  }

  /**
   * What restarted the last job, oldest first, one stack trace each: the test silences the loggers
   * that would tell (see {@link #EXPECTED_NOISE}), so a test that expects no restart asks the job's
   * exception history.
   */
  static List<String> restartCauses(RestClusterClient<?> client) throws Exception {
    JobExceptionsMessageParameters parameters = new JobExceptionsMessageParameters();
    parameters.jobPathParameter.resolve(lastJob);
    JobExceptionsInfoWithHistory exceptions =
        client
            .sendRequest(
                JobExceptionsHeaders.getInstance(), parameters, EmptyRequestBody.getInstance())
            .get(30, TimeUnit.SECONDS);
    List<String> causes = new ArrayList<>();
    for (JobExceptionsInfoWithHistory.RootExceptionInfo e :
        exceptions.getExceptionHistory().getEntries()) {
      causes.add(0, e.getTaskName() + ": " + e.getStacktrace());
    }
    return causes;
  }

  /**
   * Loggers that warn, with stack traces, about every injected failure and retried outage, and
   * Flink's committer about each snapshot ("Name collision ... pendingCommittables": its
   * CommittableCollector.copy() registers the gauge again). The test prints what it counted.
   */
  private static final List<String> EXPECTED_NOISE =
      List.of(
          "org.apache.flink.runtime.taskmanager.Task",
          "org.apache.flink.runtime.checkpoint.CheckpointFailureManager",
          "org.apache.flink.runtime.jobmaster.JobMaster",
          "org.apache.flink.metrics.MetricGroup",
          RowCommitter.class.getName(),
          "io.freshet.flink.sink.tiles.TileCommitter");

  private static final class EntityOf
      implements org.apache.flink.api.java.functions.KeySelector<Long, String> {
    private static final long serialVersionUID = 1L;
    private final GeneratedRows data;

    EntityOf(GeneratedRows data) {
      this.data = data;
    }

    @Override
    public String getKey(Long i) {
      return data.entityOf(i);
    }
  }

  /** Passes numbers on at a fixed rate and throws the stream-side faults. */
  static final class Pacer extends RichMapFunction<Long, Long>
      implements CheckpointedFunction, CheckpointListener {
    private static final long serialVersionUID = 1L;
    private final int rowsPerSecond;
    private transient long started;
    private transient long emitted;

    Pacer(int rowsPerSecond) {
      this.rowsPerSecond = rowsPerSecond;
    }

    @Override
    public void open(OpenContext context) {
      started = System.nanoTime();
      emitted = 0;
      maxAttempt.accumulateAndGet(getRuntimeContext().getTaskInfo().getAttemptNumber(), Math::max);
    }

    @Override
    public Long map(Long i) throws Exception {
      highWater.accumulateAndGet(i, Math::max);
      rowsEmitted.incrementAndGet();
      if (fire(Fault.BETWEEN_ROWS, i)) {
        throw new InjectedFault("injected " + Fault.BETWEEN_ROWS + " before row " + i);
      }
      if (i >= trickleFrom && nextFault.get() < plan.size()) {
        Thread.sleep(1);
      }
      if (++emitted % 64 == 0) {
        long due = started + emitted * 1_000_000_000L / rowsPerSecond;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
      }
      return i;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
      if (fire(Fault.AT_BARRIER, highWater.get())) {
        throw new InjectedFault(
            "injected " + Fault.AT_BARRIER + " in checkpoint " + context.getCheckpointId());
      }
    }

    @Override
    public void initializeState(FunctionInitializationContext context) {}

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
      checkpointsCompleted.incrementAndGet();
      checkpointsSinceFault.incrementAndGet();
      if (fire(Fault.AFTER_CHECKPOINT, highWater.get())) {
        throw new InjectedFault(
            "injected " + Fault.AFTER_CHECKPOINT + " after checkpoint " + checkpointId);
      }
    }
  }
}
