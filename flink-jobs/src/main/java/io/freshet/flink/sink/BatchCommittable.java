package io.freshet.flink.sink;

import java.util.List;
import java.util.Objects;

/**
 * A {@link CheckpointCommittable} that carries what one writer subtask prepared for one checkpoint
 * as a list (rows, tile versions), with the view version and {@link CommitId} every committable
 * has. It holds what {@link RowCommittable} and the tile committable share: the fields, equality,
 * the checkpoint stamp and the short description; each subclass names its contents and how its
 * serializer writes them.
 *
 * @param <T> what the list holds
 * @param <C> the subclass itself, which {@link #withCheckpoint} returns
 */
public abstract class BatchCommittable<T, C extends BatchCommittable<T, C>>
    implements CheckpointCommittable {
  private final String view;
  private final CommitId id;
  private final List<T> items;
  private final String units;

  /**
   * @param view the view version, see {@link RowCommittable#viewOf}
   * @param id which writer and checkpoint prepared the items
   * @param items the items, copied
   * @param units what the items are, in {@link #toString}: "rows", "tiles"
   */
  protected BatchCommittable(String view, CommitId id, List<T> items, String units) {
    this.view = Objects.requireNonNull(view, "view");
    this.id = Objects.requireNonNull(id, "id");
    this.items = List.copyOf(items);
    this.units = units;
  }

  @Override
  public final String view() {
    return view;
  }

  @Override
  public final CommitId id() {
    return id;
  }

  /** The items, in the order they were prepared. */
  protected final List<T> items() {
    return items;
  }

  /** The same items of the same view with another id. */
  protected abstract C withId(CommitId newId);

  /** The same items, belonging to the given checkpoint. */
  public final C withCheckpoint(long checkpointId) {
    return withId(id.withCheckpoint(checkpointId));
  }

  @Override
  public final boolean equals(Object o) {
    return o != null
        && o.getClass() == getClass()
        && ((BatchCommittable<?, ?>) o).view.equals(view)
        && ((BatchCommittable<?, ?>) o).id.equals(id)
        && ((BatchCommittable<?, ?>) o).items.equals(items);
  }

  @Override
  public final int hashCode() {
    return Objects.hash(view, id, items.size());
  }

  /** Short on purpose: Flink prints committables in failure messages. */
  @Override
  public final String toString() {
    return items.size() + " " + units + " of " + view + " from " + id;
  }
}
