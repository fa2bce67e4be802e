package io.freshet.deploy.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupervisedJobTest {
  @TempDir Path checkpoints;

  @Test
  void the_newest_completed_checkpoint_is_the_highest_chk_with_metadata() throws Exception {
    completed("job-a", 3);
    completed("job-a", 12);
    Files.createDirectories(checkpoints.resolve("job-a/chk-13")); // under way: no _metadata yet
    Files.createDirectories(checkpoints.resolve("job-a/shared"));
    assertThat(SupervisedJob.latestCheckpoint(checkpoints, List.of("job-a")))
        .contains(checkpoints.resolve("job-a/chk-12").toAbsolutePath());
  }

  @Test
  void a_resubmitted_job_without_a_checkpoint_of_its_own_falls_back_to_the_one_before() {
    completed("job-a", 12);
    assertThat(SupervisedJob.latestCheckpoint(checkpoints, List.of("job-a", "job-b")))
        .contains(checkpoints.resolve("job-a/chk-12").toAbsolutePath());
    completed("job-b", 2);
    assertThat(SupervisedJob.latestCheckpoint(checkpoints, List.of("job-a", "job-b")))
        .contains(checkpoints.resolve("job-b/chk-2").toAbsolutePath());
  }

  @Test
  void no_checkpoint_at_all_is_empty() {
    completed("other-job", 5);
    assertThat(SupervisedJob.latestCheckpoint(checkpoints, List.of("job-a"))).isEmpty();
  }

  private void completed(String job, int n) {
    try {
      Path chk = Files.createDirectories(checkpoints.resolve(job).resolve("chk-" + n));
      Files.writeString(chk.resolve("_metadata"), "metadata");
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
