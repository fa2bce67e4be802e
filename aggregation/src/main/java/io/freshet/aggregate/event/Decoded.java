package io.freshet.aggregate.event;

/**
 * The outcome of decoding one record: an {@link Event}, or the reason it was rejected. Lives only
 * between the source and the operator that splits good from bad events, which are chained.
 */
public final class Decoded {
  private final Event event;
  private final String rejection;
  private final String raw;
  private final String origin;

  private Decoded(Event event, String rejection, String raw, String origin) {
    this.event = event;
    this.rejection = rejection;
    this.raw = raw;
    this.origin = origin;
  }

  public static Decoded ok(Event event, String raw, String origin) {
    return new Decoded(event, null, raw, origin);
  }

  public static Decoded rejected(String reason, String raw, String origin) {
    return new Decoded(null, reason, raw, origin);
  }

  public boolean isOk() {
    return event != null;
  }

  public Event event() {
    return event;
  }

  /** Why the record was rejected; null when it decoded. */
  public String rejection() {
    return rejection;
  }

  public String raw() {
    return raw;
  }

  public String origin() {
    return origin;
  }

  /** The event time for watermarking; rejected records do not move the watermark. */
  public long timestampOrMin() {
    return event == null ? Long.MIN_VALUE : event.timestamp;
  }
}
