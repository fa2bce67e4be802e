package io.freshet.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.flink.sink.ExactlyOnceRowSink.Keep;
import io.freshet.storage.FeatureRow;
import java.util.List;
import org.junit.jupiter.api.Test;

class CheckpointRowWriterTest {
  private final CommitId id = new CommitId("job", 0, CommitId.UNSTAMPED, 1);

  @Test
  void offline_keeps_the_last_row_of_each_window_in_arrival_order() {
    CheckpointRowWriter writer = new CheckpointRowWriter("v@t", Keep.LAST_PER_WINDOW, id);
    writer.write(row("a", 100, 1L), null);
    writer.write(row("b", 100, 2L), null);
    writer.write(row("a", 200, 3L), null);
    writer.write(row("a", 100, 4L), null);
    assertThat(writer.prepareCommit())
        .containsExactly(
            new RowCommittable(
                "v@t", id, List.of(row("a", 100, 4L), row("b", 100, 2L), row("a", 200, 3L))));
  }

  @Test
  void online_keeps_each_entitys_newest_row_and_the_last_on_a_tie() {
    CheckpointRowWriter writer = new CheckpointRowWriter("v@t", Keep.NEWEST_PER_ENTITY, id);
    writer.write(row("a", 200, 1L), null);
    writer.write(row("a", 100, 2L), null);
    writer.write(row("b", 100, 3L), null);
    writer.write(row("b", 100, 4L), null);
    assertThat(writer.prepareCommit())
        .containsExactly(
            new RowCommittable("v@t", id, List.of(row("a", 200, 1L), row("b", 100, 4L))));
  }

  @Test
  void each_checkpoint_gets_only_its_own_rows_and_an_empty_one_gets_no_committable() {
    CheckpointRowWriter writer = new CheckpointRowWriter("v@t", Keep.LAST_PER_WINDOW, id);
    writer.write(row("a", 100, 1L), null);
    assertThat(writer.prepareCommit()).hasSize(1);
    assertThat(writer.prepareCommit()).isEmpty();
    writer.write(row("b", 100, 2L), null);
    assertThat(writer.prepareCommit())
        .containsExactly(new RowCommittable("v@t", id, List.of(row("b", 100, 2L))));
    assertThat(writer.pendingRows()).isZero();
  }

  @Test
  void a_reused_values_array_does_not_change_held_rows() {
    CheckpointRowWriter writer = new CheckpointRowWriter("v@t", Keep.LAST_PER_WINDOW, id);
    Object[] values = {1L};
    writer.write(new FeatureRow("a", 100, values), null);
    values[0] = 99L;
    assertThat(writer.prepareCommit().iterator().next().rows()).containsExactly(row("a", 100, 1L));
  }

  private static FeatureRow row(String entity, long ts, Long value) {
    return new FeatureRow(entity, ts, new Object[] {value});
  }
}
