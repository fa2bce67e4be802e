package io.freshet.flink.sink.tiles;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.flink.sink.CommitId;
import io.freshet.storage.Tile;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The writer hands over, per checkpoint, the newest version of each (entity, tile start). */
class CheckpointTileWriterTest {
  private static Tile tile(String key, long start, long version) {
    return new Tile(key, start, version, new byte[] {(byte) version});
  }

  @Test
  void keeps_the_newest_version_per_tile_and_starts_afresh_after_each_checkpoint() {
    CheckpointTileWriter writer = new CheckpointTileWriter("v@tag", new CommitId("job", 0, -1, 1));
    writer.write(tile("a", 0, 1), null);
    writer.write(tile("a", 0, 4), null);
    writer.write(tile("a", 0, 2), null); // an older version arriving late changes nothing
    writer.write(tile("a", 60_000, 1), null);
    writer.write(tile("b", 0, 3), null);
    assertThat(writer.pendingTiles()).isEqualTo(3);
    var committables = List.copyOf(writer.prepareCommit());
    assertThat(committables).hasSize(1);
    assertThat(committables.get(0).tiles())
        .containsExactly(tile("a", 0, 4), tile("a", 60_000, 1), tile("b", 0, 3));
    assertThat(committables.get(0).view()).isEqualTo("v@tag");
    assertThat(writer.prepareCommit()).as("nothing new, no committable").isEmpty();
    writer.write(tile("a", 0, 5), null);
    assertThat(List.copyOf(writer.prepareCommit()).get(0).tiles()).containsExactly(tile("a", 0, 5));
  }
}
