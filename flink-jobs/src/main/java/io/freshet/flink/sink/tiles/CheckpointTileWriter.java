package io.freshet.flink.sink.tiles;

import io.freshet.flink.sink.CommitId;
import io.freshet.storage.Tile;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;

/**
 * Holds the tile versions arriving between two checkpoints, the newest per (entity, tile start),
 * and hands them over as one committable when Flink prepares the next checkpoint. It writes nothing
 * itself: tiles reach the stores only through the committer, once the checkpoint is complete.
 */
final class CheckpointTileWriter implements CommittingSinkWriter<Tile, TileCommittable> {
  private record TileKey(String entityKey, long start) {}

  private final String view;
  private final CommitId id;
  private Map<TileKey, Tile> pending = new LinkedHashMap<>();

  CheckpointTileWriter(String view, CommitId id) {
    this.view = Objects.requireNonNull(view, "view");
    this.id = Objects.requireNonNull(id, "id");
  }

  @Override
  public void write(Tile tile, Context context) {
    // Tiles are immutable and their payloads never reused, so no copy is needed.
    pending.merge(
        new TileKey(tile.entityKey(), tile.start()),
        tile,
        (old, now) -> now.version() >= old.version() ? now : old);
  }

  @Override
  public void flush(boolean endOfInput) {
    // Tiles are committed with the checkpoint, never earlier.
  }

  @Override
  public Collection<TileCommittable> prepareCommit() {
    if (pending.isEmpty()) {
      return List.of();
    }
    List<Tile> tiles = new ArrayList<>(pending.values());
    pending = new LinkedHashMap<>();
    return List.of(new TileCommittable(view, id, tiles));
  }

  /** Tiles waiting for the next checkpoint. */
  int pendingTiles() {
    return pending.size();
  }

  @Override
  public void close() {
    pending = new LinkedHashMap<>();
  }
}
