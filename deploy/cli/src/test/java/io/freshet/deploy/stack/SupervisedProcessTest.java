package io.freshet.deploy.stack;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SupervisedProcessTest {
  @Test
  void names_the_signal_that_killed_a_process() {
    assertThat(SupervisedProcess.exitCause(137)).isEqualTo("was killed by SIGKILL (exit code 137)");
    assertThat(SupervisedProcess.exitCause(143)).isEqualTo("was killed by SIGTERM (exit code 143)");
    assertThat(SupervisedProcess.exitCause(134)).isEqualTo("was killed by SIGABRT (exit code 134)");
    assertThat(SupervisedProcess.exitCause(135))
        .isEqualTo("was killed by signal 7 (exit code 135)");
  }

  @Test
  void gives_the_exit_code_of_a_process_that_exited() {
    assertThat(SupervisedProcess.exitCause(1)).isEqualTo("exited with code 1");
    assertThat(SupervisedProcess.exitCause(0)).isEqualTo("exited with code 0");
  }
}
