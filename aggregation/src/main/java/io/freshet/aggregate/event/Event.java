package io.freshet.aggregate.event;

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
   * The raw payload, so that an event rejected as late is kept whole. the job sets it on every
   * event: only the operator downstream knows whether an event is late.
   */
  public String raw;

  /** Where the event was read, {@code topic/partition@offset}; set with {@link #raw}. */
  public String origin;

  public Event() {}

  public Event(String key, long timestamp, double[] numbers, String[] texts) {
    this.key = key;
    this.timestamp = timestamp;
    this.numbers = numbers;
    this.texts = texts;
  }
}
