package io.freshet.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.deploy.flink.RestoredCheckpoint;
import io.freshet.deploy.stack.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TaskManager process of the local session cluster killed with SIGKILL while the real job jar
 * runs both example views, {@code user_activity} (window ends) and {@code user_activity_live}
 * (request time), at parallelism 2 on two one-slot TaskManagers: a replacement TaskManager comes,
 * the job restarts from its last checkpoint, and at the end the offline and online tables of the
 * window-end view equal the oracle exactly (no duplicate, no missing, no wrong row), and so do the
 * tiles of the request-time view: the newest version of every tile in its history is the number of
 * events it accepted, brute force, no version is stored twice, and the tiles online are the newest
 * versions of the history with their visibility instants.
 */
class TaskManagerKillIT {
  private static final int EVENTS = 24_000;

  @TempDir Path work;

  @Test
  void a_killed_task_manager_restarts_the_job_from_its_checkpoint_and_the_tables_stay_exact()
      throws Exception {
    try (ClusterRun run = new ClusterRun(work, "cluster_tm_kill", 14, 1, 2)) {
      run.generate(41, EVENTS, 50);
      run.views = ClusterRun.PLAN.name() + "," + ClusterRun.LIVE.name();
      String jobId = run.submit(2, null);
      run.step("job running");
      assertThat(run.rest.restored(jobId)).isEmpty();

      run.produce(0, EVENTS / 2);
      run.awaitOfflineRows(1, Duration.ofSeconds(60));
      // The request-time view has committed (or rejected as late) every event of the first half:
      // nothing of it is replayed after the kill, so which events were late stays decided.
      run.awaitLiveAccountedFor(Duration.ofSeconds(60));
      int tileVersionsBeforeKill = run.tileHistory().size();
      long before = run.completedCheckpoints(jobId);
      run.awaitCheckpointsAbove(jobId, before, Duration.ofSeconds(30));
      int rowsBeforeKill = run.offlineRows();
      run.step("first half committed, " + rowsBeforeKill + " rows; killing a TaskManager");

      ChildJvm victim = run.cluster.taskManagers().get(0);
      ProcessHandle handle = ProcessHandle.of(victim.pid()).orElseThrow();
      assertThat(handle.destroyForcibly()).isTrue();
      handle.onExit().get();
      assertThat(victim.isAlive()).isFalse();
      long checkpointsAtKill = run.completedCheckpoints(jobId);

      // Each TaskManager has one slot and the job needs two: it cannot run again until a
      // replacement TaskManager registers.
      run.cluster.startTaskManager();
      run.step("replacement TaskManager started");
      ClusterRun.await(
          "job " + jobId + " restored from a checkpoint",
          Duration.ofSeconds(120),
          () -> run.rest.restored(jobId).isPresent());
      run.rest.awaitRunning(jobId, Duration.ofSeconds(90));
      run.awaitCheckpointsAbove(jobId, checkpointsAtKill, Duration.ofSeconds(60));
      run.step("job restored, running and checkpointing again");

      RestoredCheckpoint restored = run.rest.restored(jobId).orElseThrow();
      assertThat(restored.savepoint()).as(restored.toString()).isFalse();
      assertThat(restored.checkpointId()).isPositive();
      JsonNode history = run.get("/jobs/" + jobId + "/exceptions").path("exceptionHistory");
      assertThat(history.path("entries").size()).as(history.toString()).isPositive();
      Optional<String> jobState = Optional.of(run.rest.job(jobId).state());
      assertThat(jobState).contains("RUNNING");

      run.produce(EVENTS / 2, EVENTS);
      long finalWatermark = run.produceSentinels();
      run.assertTablesEqualOracle(finalWatermark, Duration.ofSeconds(90));
      run.step("tables equal the oracle");
      assertThat(run.offlineRows()).isGreaterThan(rowsBeforeKill);
      int online = run.assertTilesEqualBruteForce(Duration.ofSeconds(90));
      assertThat(run.tileHistory().size()).isGreaterThan(tileVersionsBeforeKill);
      run.step("tiles equal the brute force, " + online + " online");
      run.rest.cancelAndWait(jobId, Duration.ofSeconds(60));
    }
  }
}
