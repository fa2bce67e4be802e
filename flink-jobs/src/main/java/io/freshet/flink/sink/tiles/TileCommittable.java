package io.freshet.flink.sink.tiles;

import io.freshet.flink.sink.CheckpointCommittable;
import io.freshet.flink.sink.CommitId;
import io.freshet.storage.Tile;
import java.util.List;
import java.util.Objects;

/**
 * The tile versions one writer subtask prepared for one checkpoint of a request-time view, at most
 * one (the newest) per (entity, tile start), to be committed to both stores once that checkpoint
 * completes. Flink keeps it in the committer's state until it is committed and replays it after a
 * restart.
 */
public final class TileCommittable implements CheckpointCommittable {
  private final String view;
  private final CommitId id;
  private final List<Tile> tiles;

  /**
   * @param view the view version, see {@link io.freshet.flink.sink.RowCommittable#viewOf}
   * @param id which writer and checkpoint prepared them
   * @param tiles the tile versions, at most one per (entity, tile start)
   */
  public TileCommittable(String view, CommitId id, List<Tile> tiles) {
    this.view = Objects.requireNonNull(view, "view");
    this.id = Objects.requireNonNull(id, "id");
    this.tiles = List.copyOf(tiles);
  }

  @Override
  public String view() {
    return view;
  }

  @Override
  public CommitId id() {
    return id;
  }

  public List<Tile> tiles() {
    return tiles;
  }

  /** The same tiles, belonging to the given checkpoint. */
  public TileCommittable withCheckpoint(long checkpointId) {
    return new TileCommittable(view, id.withCheckpoint(checkpointId), tiles);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TileCommittable c
        && c.view.equals(view)
        && c.id.equals(id)
        && c.tiles.equals(tiles);
  }

  @Override
  public int hashCode() {
    return Objects.hash(view, id, tiles.size());
  }

  /** Short on purpose: Flink prints committables in failure messages. */
  @Override
  public String toString() {
    return tiles.size() + " tiles of " + view + " from " + id;
  }
}
