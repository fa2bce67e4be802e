package io.freshet.flink.source;

/**
 * An event the job did not aggregate, kept with its reason and raw payload: a dead letter (it could
 * not be decoded) or a late event (it arrived after its windows were final).
 */
public class RejectedEvent {
  /** Why an event was set aside. */
  public enum Kind {
    DEAD_LETTER,
    LATE
  }

  public String view;
  public Kind kind;
  public String reason;
  public String payload;

  /** {@code topic/partition@offset}, or another unique name of where the event came from. */
  public String origin;

  /** The event time when it was known, else null. */
  public Long eventTs;

  public RejectedEvent() {}

  public RejectedEvent(
      String view, Kind kind, String reason, String payload, String origin, Long eventTs) {
    this.view = view;
    this.kind = kind;
    this.reason = reason;
    this.payload = payload;
    this.origin = origin;
    this.eventTs = eventTs;
  }

  @Override
  public String toString() {
    return kind + "[" + view + " " + origin + ": " + reason + "]";
  }
}
