package io.freshet.deploy.generator;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Sample user activity for the example view, deterministic for a seed: the same seed and the same
 * calls give the same events.
 *
 * <p>Users {@code user_0001} to {@code user_NNNN} are active with Zipf-like weights ({@code
 * user_0001} the most), each on a sticky platform and in sessions that end after 30 minutes of
 * silence. The mix is mostly views and clicks, some searches (no product) and add-to-carts, and a
 * few purchases with a revenue. Not thread-safe.
 */
public final class EventGenerator {
  /** Most disorder in {@link #history}: well inside the example views' 10 s and 10 min bounds. */
  public static final Duration HISTORY_DISORDER = Duration.ofSeconds(5);

  /** Live events are stamped within this much before now. */
  public static final Duration LIVE_LAG = Duration.ofSeconds(3);

  /** Live events are stamped within this much after now (clocks of devices differ). */
  public static final Duration LIVE_LEAD = Duration.ofSeconds(2);

  private static final int PRODUCTS = 500;
  private static final Duration SESSION_GAP = Duration.ofMinutes(30);
  private static final String[] PLATFORMS = {"web", "ios", "android"};
  private static final double[] PLATFORM_WEIGHTS = {0.45, 0.35, 0.20};
  private static final String[] TYPES = {"view", "click", "search", "add_to_cart", "purchase"};
  private static final double[] TYPE_WEIGHTS = {0.55, 0.25, 0.07, 0.09, 0.04};

  private final Random random;
  private final int users;
  private final double[] userCdf;
  private final double[] productCdf;
  private final Map<Integer, UserState> states = new HashMap<>();

  /**
   * @param seed the seed of every random choice
   * @param users how many distinct users, at least 1
   */
  public EventGenerator(long seed, int users) {
    if (users < 1 || users > 9999) {
      throw new IllegalArgumentException("users must be between 1 and 9999, got " + users);
    }
    this.random = new Random(seed);
    this.users = users;
    this.userCdf = zipfCdf(users, 0.6);
    this.productCdf = zipfCdf(PRODUCTS, 0.8);
  }

  /** The id of user {@code n} (1-based): {@code user_0001}. */
  public static String userId(int n) {
    return String.format("user_%04d", n);
  }

  public int users() {
    return users;
  }

  /**
   * Events of the {@code span} before {@code end}, about {@code eventsPerSecond} of them per
   * second, in the order to produce them: roughly by time, each up to {@link #HISTORY_DISORDER}
   * earlier than its place in the order.
   */
  public List<UserEvent> history(Instant end, Duration span, double eventsPerSecond) {
    if (span.isNegative() || span.isZero()) {
      throw new IllegalArgumentException("span must be positive, got " + span);
    }
    if (eventsPerSecond <= 0) {
      throw new IllegalArgumentException(
          "eventsPerSecond must be positive, got " + eventsPerSecond);
    }
    int n = (int) Math.round(span.toMillis() / 1000.0 * eventsPerSecond);
    Instant start = end.minus(span);
    long step = span.toMillis() / Math.max(1, n);
    List<UserEvent> events = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long slot = HISTORY_DISORDER.toMillis() + i * step;
      long lag = (long) (random.nextDouble() * HISTORY_DISORDER.toMillis());
      Instant ts = start.plusMillis(Math.min(span.toMillis() - 1, slot - lag));
      events.add(event(ts));
    }
    return events;
  }

  /** One event happening at {@code now}, stamped up to a few seconds off. */
  public UserEvent next(Instant now) {
    long range = LIVE_LAG.toMillis() + LIVE_LEAD.toMillis();
    long offset = (long) (random.nextDouble() * range) - LIVE_LAG.toMillis();
    return event(now.plusMillis(offset));
  }

  /** The user with the most events in {@code events} (ties: the lowest number). */
  public static String mostActive(List<UserEvent> events) {
    Map<String, Integer> counts = new HashMap<>();
    for (UserEvent e : events) {
      counts.merge(e.userId(), 1, Integer::sum);
    }
    return counts.entrySet().stream()
        .min(
            (a, b) ->
                a.getValue().equals(b.getValue())
                    ? a.getKey().compareTo(b.getKey())
                    : Integer.compare(b.getValue(), a.getValue()))
        .map(Map.Entry::getKey)
        .orElseThrow(() -> new IllegalArgumentException("no events"));
  }

  private UserEvent event(Instant ts) {
    ts = ts.truncatedTo(ChronoUnit.MILLIS);
    int user = pick(userCdf) + 1;
    UserState state = states.computeIfAbsent(user, u -> newUser());
    if (state.lastTs == null
        || Duration.between(state.lastTs, ts).compareTo(SESSION_GAP) > 0
        || random.nextDouble() < 0.02) {
      state.sessionId = String.format("sess-%08x", random.nextInt());
    }
    state.lastTs = ts;
    String type = TYPES[pickWeighted(TYPE_WEIGHTS)];
    String product = null;
    BigDecimal revenue = null;
    switch (type) {
      case "search" -> {}
      case "view" -> {
        if (random.nextDouble() >= 0.15) {
          product = product(pick(productCdf) + 1);
        }
      }
      case "purchase" -> {
        int p = pick(productCdf) + 1;
        product = product(p);
        revenue = price(p);
      }
      default -> product = product(pick(productCdf) + 1);
    }
    return new UserEvent(userId(user), type, product, revenue, state.sessionId, state.platform, ts);
  }

  private UserState newUser() {
    UserState s = new UserState();
    s.platform = PLATFORMS[pickWeighted(PLATFORM_WEIGHTS)];
    return s;
  }

  private static String product(int n) {
    return String.format("prod_%04d", n);
  }

  /** A product's price: fixed per product, log-normal around 27 with a long tail, 2 to 500. */
  private static BigDecimal price(int product) {
    Random r = new Random(product * 7919L);
    double p = Math.exp(3.3 + 0.8 * r.nextGaussian());
    return BigDecimal.valueOf(Math.max(2, Math.min(500, p))).setScale(2, RoundingMode.HALF_UP);
  }

  private int pick(double[] cdf) {
    int i = Arrays.binarySearch(cdf, random.nextDouble());
    return Math.min(cdf.length - 1, i >= 0 ? i : -i - 1);
  }

  private int pickWeighted(double[] weights) {
    double r = random.nextDouble();
    for (int i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) {
        return i;
      }
    }
    return weights.length - 1;
  }

  private static double[] zipfCdf(int n, double exponent) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += 1 / Math.pow(i + 1, exponent);
      cdf[i] = sum;
    }
    for (int i = 0; i < n; i++) {
      cdf[i] /= sum;
    }
    return cdf;
  }

  private static final class UserState {
    String platform;
    String sessionId;
    Instant lastTs;
  }
}
