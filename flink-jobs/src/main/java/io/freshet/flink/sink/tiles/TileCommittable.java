package io.freshet.flink.sink.tiles;

import io.freshet.flink.sink.BatchCommittable;
import io.freshet.flink.sink.CommitId;
import io.freshet.storage.Tile;
import java.util.List;

/**
 * The tile versions one writer subtask prepared for one checkpoint of a request-time view, at most
 * one (the newest) per (entity, tile start), to be committed to both stores once that checkpoint
 * completes. Flink keeps it in the committer's state until it is committed and replays it after a
 * restart.
 */
public final class TileCommittable extends BatchCommittable<Tile, TileCommittable> {
  /**
   * @param view the view version, see {@link io.freshet.flink.sink.RowCommittable#viewOf}
   * @param id which writer and checkpoint prepared them
   * @param tiles the tile versions, at most one per (entity, tile start)
   */
  public TileCommittable(String view, CommitId id, List<Tile> tiles) {
    super(view, id, tiles, "tiles");
  }

  public List<Tile> tiles() {
    return items();
  }

  @Override
  protected TileCommittable withId(CommitId newId) {
    return new TileCommittable(view(), newId, tiles());
  }
}
