package io.freshet.bench;

import java.io.Serializable;

/**
 * Deterministic user-activity events for the benchmarks: event {@code i} of a run is a pure
 * function of {@code (seed, i)}, so every side of a comparison reads the same events.
 *
 * <p>Event time advances by {@link #stepMillis} per event (about 167 events per second of event
 * time for 100k users, one event per user every ten minutes) and is pulled back by up to two
 * minutes of jitter, well inside the view's ten-minute out-of-orderness bound.
 */
public final class EventGen implements Serializable {
  private static final long serialVersionUID = 1L;

  /** 2025-01-01T00:00:00Z: a fixed origin, in the past, so no event is rejected as future. */
  public static final long BASE_MILLIS = 1_735_689_600_000L;

  private static final String[] TYPES = {"view", "view", "view", "click", "click", "add_to_cart"};
  private static final String[] PLATFORMS = {"ios", "android", "web"};

  final long seed;
  final int users;
  final long stepMillis;
  final long jitterMillis;
  final long baseMillis;

  public EventGen(long seed, int users) {
    this(seed, users, 6, 120_000);
  }

  public EventGen(long seed, int users, long stepMillis, long jitterMillis) {
    this(seed, users, stepMillis, jitterMillis, BASE_MILLIS);
  }

  /**
   * As above with event time starting at {@code baseMillis}: the end-to-end benchmarks start near
   * the wall clock, so that the online sink writes the rows instead of skipping them as expired.
   */
  public EventGen(long seed, int users, long stepMillis, long jitterMillis, long baseMillis) {
    this.seed = seed;
    this.users = users;
    this.stepMillis = stepMillis;
    this.jitterMillis = jitterMillis;
    this.baseMillis = baseMillis;
  }

  /**
   * Maps the position {@code k} in a sequence split into {@code p} contiguous ranges of {@code n/p}
   * to an interleaved event index, so parallel source subtasks advance through event time together.
   */
  public static long interleave(long k, long n, int p) {
    long h = n / p;
    return (k % h) * p + k / h;
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** Event {@code i} as a decoded record. */
  public Activity event(long i) {
    long r = mix(seed * 0x9E3779B97F4A7C15L + i);
    Activity a = new Activity();
    int user = (int) Long.remainderUnsigned(r, users);
    a.userId = "user_" + user;
    long r2 = mix(r);
    a.ts = baseMillis + i * stepMillis - Long.remainderUnsigned(r2, jitterMillis + 1);
    int t = (int) ((r2 >>> 40) % 100);
    a.eventType = t < 5 ? "purchase" : TYPES[t % TYPES.length];
    a.productId = ((r2 >>> 20) & 7) < 3 ? null : "product_" + ((r2 >>> 24) & 4095);
    a.revenue = "purchase".equals(a.eventType) ? ((r2 >>> 8) & 0xFFF) / 10.0 : null;
    a.sessionId = a.userId + "-" + (a.ts / 1_800_000L);
    a.platform = PLATFORMS[(int) ((user + (r2 >>> 60)) % PLATFORMS.length)];
    return a;
  }

  /** Event {@code i} as the JSON payload a producer would send to {@code user-events}. */
  public String json(long i) {
    return event(i).toJson();
  }

  /** One decoded event; a Flink POJO, and the row type of the SQL side. */
  public static class Activity {
    public String userId;
    public String eventType;
    public String productId;
    public Double revenue;
    public String sessionId;
    public String platform;
    public long ts;

    public Activity() {}

    String toJson() {
      StringBuilder b = new StringBuilder(192);
      b.append("{\"user_id\":\"").append(userId).append("\",\"event_type\":\"").append(eventType);
      b.append('"');
      if (productId != null) {
        b.append(",\"product_id\":\"").append(productId).append('"');
      }
      if (revenue != null) {
        b.append(",\"revenue\":").append(revenue);
      }
      b.append(",\"session_id\":\"")
          .append(sessionId)
          .append("\",\"platform\":\"")
          .append(platform);
      b.append("\",\"event_ts\":").append(ts).append('}');
      return b.toString();
    }
  }
}
