package io.freshet.flink.source;

/**
 * A decoded event as the window operator sees it: the entity key, the event time, and one input per
 * part of the view (see {@link EventDecoder}).
 *
 * <p>A Flink POJO (public fields, no-arg constructor) so it is serialized without Kryo.
 */
public class Event {
  /** The entity key. */
  public String key;

  /** Event time, epoch milliseconds. */
  public long timestamp;

  /** {@code inputs[i]} is part i's contribution: 1/0 for counts, the value or 0 for sums. */
  public double[] inputs;

  /**
   * The raw payload, carried only when the event might be late (its time is not after the watermark
   * seen where it was decoded), so that a late event is kept whole.
   */
  public String raw;

  /** Where the event was read, {@code topic/partition@offset}; null unless {@link #raw} is set. */
  public String origin;

  public Event() {}

  public Event(String key, long timestamp, double[] inputs) {
    this.key = key;
    this.timestamp = timestamp;
    this.inputs = inputs;
  }
}
