package io.freshet.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.deploy.flink.JobDetails;
import io.freshet.deploy.flink.JobSummary;
import io.freshet.deploy.flink.RestoredCheckpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local session cluster with two TaskManagers and the real job jar over REST: parallelism 1,
 * stop with a savepoint, redeploy from it at parallelism 2, then {@code freshet submit --upgrade
 * --parallelism 1} stops that with a savepoint and redeploys at parallelism 1; window state and
 * offsets carry over each time, and the offline and online tables end equal to the oracle.
 */
class RescaleIT {
  private static final int EVENTS = 24_000;

  @TempDir Path work;

  @Test
  void rescales_from_one_to_two_and_back_through_savepoints_and_the_tables_stay_exact()
      throws Exception {
    try (ClusterRun run = new ClusterRun(work, "cluster_rescale", 15, 1, 2)) {
      run.generate(43, EVENTS, 50);
      int third = EVENTS / 3;

      CommandRun applied = CommandRun.freshet("apply", "--pg-url", run.pgUrl);
      assertThat(applied.exitCode()).as(applied.toString()).isZero();
      String first = run.submit(1, null);
      assertParallelism(run.rest.job(first), 1);
      run.produce(0, third);
      run.awaitOfflineRows(1, Duration.ofSeconds(60));
      String savepoint1 = run.stopWithSavepoint(first);
      run.step("parallelism 1 stopped with a savepoint");
      int rowsAfterFirst = run.offlineRows();

      String second = run.submit(2, savepoint1);
      assertParallelism(run.rest.job(second), 2);
      assertRestoredFrom(run, second, savepoint1);
      run.produce(third, 2 * third);
      run.awaitOfflineRows(rowsAfterFirst + 1, Duration.ofSeconds(60));
      int rowsAfterSecond = run.offlineRows();

      // The way back to parallelism 1 goes through the command a user runs: it finds the job by
      // its name, stops it with a savepoint and starts the jar again from it.
      CommandRun upgraded =
          CommandRun.freshet(
              "submit",
              "--upgrade",
              "--parallelism",
              "1",
              "--views",
              "user_activity",
              "--flink",
              run.rest.baseUri().toString(),
              "--kafka",
              run.broker.bootstrapServers(),
              "--pg-url",
              run.pgUrl,
              "--redis-url",
              run.redisUrl,
              "--checkpoint-interval",
              "1s",
              "--starting-offsets",
              "earliest",
              "--timeout",
              "90s");
      assertThat(upgraded.exitCode()).as(upgraded.toString()).isZero();
      run.step("parallelism 2 upgraded to parallelism 1 by freshet submit --upgrade");
      List<JobSummary> running =
          run.rest.jobs().stream().filter(j -> "RUNNING".equals(j.state())).toList();
      assertThat(running).as(upgraded.toString()).hasSize(1);
      String last = running.get(0).id();
      assertThat(run.rest.job(second).state()).isEqualTo("FINISHED");
      assertParallelism(run.rest.job(last), 1);
      RestoredCheckpoint restored = run.rest.restored(last).orElseThrow();
      assertThat(restored.savepoint()).as(restored.toString()).isTrue();
      assertThat(upgraded.out()).contains(restored.externalPath());
      run.produce(2 * third, EVENTS);
      long finalWatermark = run.produceSentinels();
      run.assertTablesEqualOracle(finalWatermark, Duration.ofSeconds(90));
      run.step("tables equal the oracle");
      assertThat(run.offlineRows()).isGreaterThan(rowsAfterSecond);
      run.rest.cancelAndWait(last, Duration.ofSeconds(60));
    }
  }

  private static void assertParallelism(JobDetails job, int parallelism) {
    assertThat(job.vertices())
        .as(job.toString())
        .anyMatch(v -> v.name().contains("windows") && v.parallelism() == parallelism);
  }

  private static void assertRestoredFrom(ClusterRun run, String jobId, String savepoint) {
    RestoredCheckpoint restored = run.rest.restored(jobId).orElseThrow();
    assertThat(restored.savepoint()).as(restored.toString()).isTrue();
    assertThat(restored.externalPath()).isEqualTo(savepoint);
  }
}
