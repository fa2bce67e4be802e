package io.freshet.flink.source;

/**
 * A decoded event as the window operator sees it: the entity key, the event time, and one input per
 * aggregated part of the view (see {@link EventDecoder}).
 *
 * <p>A Flink POJO (public fields, no-arg constructor) so it is serialized without Kryo.
 */
public class Event {
  /** The entity key. */
  public String key;

  /** Event time, epoch milliseconds. */
  public long timestamp;

  /**
   * Numeric input of each aggregated part: 1 for a count that takes the event, the field's value
   * for numeric aggregations, NaN when the part does not take the event.
   */
  public double[] numbers;

  /** Text input of each aggregated part that reads text; null when it does not take the event. */
  public String[] texts;

  /**
   * The raw payload, carried only when the event might be late (its time is not after the watermark
   * seen where it was decoded), so that a late event is kept whole.
   */
  public String raw;

  /** Where the event was read, {@code topic/partition@offset}; null unless {@link #raw} is set. */
  public String origin;

  public Event() {}

  public Event(String key, long timestamp, double[] numbers, String[] texts) {
    this.key = key;
    this.timestamp = timestamp;
    this.numbers = numbers;
    this.texts = texts;
  }
}
