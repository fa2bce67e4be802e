package io.freshet.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.deploy.flink.RestoredCheckpoint;
import io.freshet.deploy.stack.ChildJvm;
import io.freshet.deploy.stack.Ports;
import io.freshet.deploy.stack.SupervisedJob;
import io.freshet.deploy.stack.Supervisor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local stack as {@code freshet demo} runs it, under its {@link Supervisor}: a broker, one
 * TaskManager with two slots, the real job jar at parallelism 2. Each test kills one process with
 * SIGKILL while the job runs and then does nothing but wait: the supervisor brings the process
 * back, the job carries on from its last checkpoint, and the offline and online tables end equal to
 * the oracle.
 */
class SelfHealingStackIT {
  private static final int EVENTS = 24_000;

  /** The bound: from the kill to the job running on a new TaskManager. */
  private static final Duration TASK_MANAGER_BACK = Duration.ofSeconds(60);

  @TempDir Path work;
  private final StringWriter console = new StringWriter();

  @AfterEach
  void leaves_no_process_behind() {
    assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive))
        .as("child processes of the test JVM after the stack closed")
        .isEmpty();
  }

  @Test
  void a_killed_task_manager_is_replaced_and_the_job_runs_on_the_new_one_within_60_s()
      throws Exception {
    try (ClusterRun run = new ClusterRun(work, "heal_tm", 7, 2, 1)) {
      run.generate(43, EVENTS, 50);
      String jobId = run.submit(2, null);
      try (Supervisor supervisor = supervise(run, null)) {
        run.produce(0, EVENTS / 2);
        run.awaitOfflineRows(1, Duration.ofSeconds(120));
        run.awaitCheckpointsAbove(jobId, run.completedCheckpoints(jobId), Duration.ofSeconds(60));
        Set<String> before = run.taskManagerIds();
        ChildJvm victim = run.cluster.taskManagers().get(0);
        run.step("first half committed; killing " + victim + " of " + before);

        long killedAt = kill(victim);
        ClusterRun.await(
            "job " + jobId + " RUNNING on a TaskManager other than " + before,
            remaining(killedAt, TASK_MANAGER_BACK),
            () -> run.runsOnlyOnNewTaskManagers(jobId, before));
        run.step(
            "job running on a new TaskManager, " + secondsSince(killedAt) + " s after the kill");

        assertThat(console.toString())
            .contains("the Flink TaskManager pid " + victim.pid() + " was killed by SIGKILL")
            .contains("(exit code 137)")
            .contains("the Flink TaskManager restarted pid ");
        assertThat(supervisor.restarts()).isEqualTo(1);
        RestoredCheckpoint restored = run.rest.restored(jobId).orElseThrow();
        assertThat(restored.checkpointId()).isPositive();

        run.awaitCheckpointsAbove(jobId, run.completedCheckpoints(jobId), Duration.ofSeconds(120));
        run.produce(EVENTS / 2, EVENTS);
        long finalWatermark = run.produceSentinels();
        run.assertTablesEqualOracle(finalWatermark, Duration.ofSeconds(180));
        run.step("tables equal the oracle");
        run.rest.cancelAndWait(jobId, Duration.ofSeconds(60));
      }
    }
  }

  @Test
  void a_killed_broker_comes_back_on_its_port_with_its_log_and_no_event_is_lost_or_doubled()
      throws Exception {
    try (ClusterRun run = new ClusterRun(work, "heal_broker", 8, 2, 1)) {
      run.generate(44, EVENTS, 50);
      String jobId = run.submit(2, null);
      int third = EVENTS / 3;
      int duringOutage = third + 20;
      try (Supervisor supervisor = supervise(run, null)) {
        run.produce(0, third);
        run.awaitOfflineRows(1, Duration.ofSeconds(120));
        run.awaitCheckpointsAbove(jobId, run.completedCheckpoints(jobId), Duration.ofSeconds(60));
        assertThat(run.topicRecords()).isEqualTo(third);
        ChildJvm victim = run.broker.process();
        run.step("first third committed; killing " + victim);

        long killedAt = kill(victim);
        // A few events sent while the broker is down: the producer delivers them once it is back.
        // Only a few: a burst of thousands after an outage lets one partition's events run the
        // watermark (the other partition idle) past the other's, and the oracle knows no idleness.
        run.produce(third, duringOutage);
        ClusterRun.await(
            "the broker back on "
                + run.broker.bootstrapServers()
                + " and job "
                + jobId
                + " RUNNING",
            remaining(killedAt, TASK_MANAGER_BACK),
            () ->
                run.broker.process().isAlive()
                    && Ports.listening("127.0.0.1", port(run.broker.bootstrapServers()))
                    && allRunning(run, jobId));
        run.step("broker back and job running, " + secondsSince(killedAt) + " s after the kill");
        assertThat(run.broker.process().pid()).isNotEqualTo(victim.pid());
        assertThat(run.topicRecords())
            .as("records in the topic after the restart")
            .isEqualTo(duringOutage);
        assertThat(console.toString())
            .contains("the Kafka broker pid " + victim.pid() + " was killed by SIGKILL")
            .contains("the Kafka broker restarted pid " + run.broker.process().pid());
        assertThat(supervisor.restarts()).isEqualTo(1);

        run.awaitCheckpointsAbove(jobId, run.completedCheckpoints(jobId), Duration.ofSeconds(120));
        run.produce(duringOutage, EVENTS);
        long finalWatermark = run.produceSentinels();
        run.assertTablesEqualOracle(finalWatermark, Duration.ofSeconds(180));
        run.step("tables equal the oracle");
        run.rest.cancelAndWait(jobId, Duration.ofSeconds(60));
      }
    }
  }

  @Test
  void a_killed_job_manager_comes_back_and_the_job_is_resubmitted_from_its_newest_checkpoint()
      throws Exception {
    try (ClusterRun run = new ClusterRun(work, "heal_jm", 9, 2, 1)) {
      run.generate(45, EVENTS, 50);
      SupervisedJob job = run.submitSupervised(2);
      String firstId = job.id();
      try (Supervisor supervisor = supervise(run, job)) {
        run.produce(0, EVENTS / 2);
        run.awaitOfflineRows(1, Duration.ofSeconds(120));
        run.awaitCheckpointsAbove(
            firstId, run.completedCheckpoints(firstId), Duration.ofSeconds(60));
        ChildJvm victim = run.cluster.jobManager();
        run.step("first half committed; killing " + victim);

        long killedAt = kill(victim);
        ClusterRun.await(
            "job " + firstId + " resubmitted and RUNNING",
            Duration.ofSeconds(240),
            () -> job.ids().size() == 2 && allRunning(run, job.id()));
        String secondId = job.id();
        run.step(
            "job resubmitted as " + secondId + ", " + secondsSince(killedAt) + " s after the kill");

        RestoredCheckpoint restored = run.rest.restored(secondId).orElseThrow();
        assertThat(restored.externalPath())
            .contains(firstId)
            .contains("chk-" + restored.checkpointId());
        assertThat(console.toString())
            .contains("the Flink JobManager pid " + victim.pid() + " was killed by SIGKILL")
            .contains("the Flink job " + firstId + " is gone")
            .contains("the Flink job restarted as job " + secondId + " from checkpoint ");
        assertThat(supervisor.restarts()).isGreaterThanOrEqualTo(2);

        run.awaitCheckpointsAbove(secondId, 0, Duration.ofSeconds(120));
        run.produce(EVENTS / 2, EVENTS);
        long finalWatermark = run.produceSentinels();
        run.assertTablesEqualOracle(finalWatermark, Duration.ofSeconds(180));
        run.step("tables equal the oracle");
        job.cancel();
      }
    }
  }

  private Supervisor supervise(ClusterRun run, SupervisedJob job) {
    Supervisor supervisor = new Supervisor(new PrintWriter(console, true), () -> false);
    supervisor.watch(run.cluster);
    supervisor.watch(run.broker);
    if (job != null) {
      supervisor.watch(job);
    }
    supervisor.start();
    return supervisor;
  }

  /** Kills the process with SIGKILL and waits until it is gone; when it was killed (nanos). */
  private static long kill(ChildJvm process) throws Exception {
    ProcessHandle handle = ProcessHandle.of(process.pid()).orElseThrow();
    long killedAt = System.nanoTime();
    assertThat(handle.destroyForcibly()).isTrue();
    handle.onExit().get(30, TimeUnit.SECONDS);
    assertThat(process.isAlive()).isFalse();
    return killedAt;
  }

  /** The job and all its vertices RUNNING; false while the REST API does not answer. */
  private static boolean allRunning(ClusterRun run, String jobId) {
    return run.tryGet("/jobs/" + jobId)
        .map(
            n -> {
              boolean all = "RUNNING".equals(n.path("state").asText());
              for (var v : n.path("vertices")) {
                all &= "RUNNING".equals(v.path("status").asText());
              }
              return all && !n.path("vertices").isEmpty();
            })
        .orElse(false);
  }

  private static Duration remaining(long since, Duration bound) {
    return bound.minusNanos(System.nanoTime() - since);
  }

  private static long secondsSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000_000L;
  }

  private static int port(String bootstrap) {
    return Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
  }
}
