package io.freshet.gateway;

import io.freshet.online.OnlineReader;
import java.time.Duration;

/**
 * How much one request may ask of the gateway. A request over a limit is answered with a 4xx JSON
 * error naming the field, the limit and the value received, before any Redis read.
 *
 * <pre>{@code
 * GatewayLimits.defaults().withMaxEntities(5_000)
 * }</pre>
 *
 * @param maxBodyBytes the largest request body accepted; larger bodies get 413 (from the {@code
 *     Content-Length} header when there is one, before the body is read)
 * @param maxEntities the most entity rows in one {@code POST /get-online-features} (the length of
 *     each list in {@code entities}); more get 400
 * @param maxFeatures the most entries in one request's {@code features} list; more get 400. A
 *     feature service is configured by the operator and is not held to it.
 * @param bodyTimeout how long a client may take to send a whole body once its headers arrived;
 *     slower clients get 408 and the connection is closed
 * @param maxPushEvents the most events in one {@code POST /push} (the length of {@code events}, or
 *     of each column of {@code df}); more get 400
 * @param storeTimeout the longest one online-store (Redis) command may take before the request
 *     answers 503; short by default ({@link OnlineReader#COMMAND_TIMEOUT}), so that a slow store
 *     fails lookups fast instead of piling them up
 */
public record GatewayLimits(
    int maxBodyBytes,
    int maxEntities,
    int maxFeatures,
    Duration bodyTimeout,
    int maxPushEvents,
    Duration storeTimeout) {

  /** The default number of events one push may carry. */
  public static final int DEFAULT_MAX_PUSH_EVENTS = 1_000;

  /**
   * 1 MiB bodies, 1,000 entities, 200 features, 10 s to send a body, 1,000 pushed events, 250 ms
   * per online-store command.
   */
  public static GatewayLimits defaults() {
    return new GatewayLimits(1 << 20, 1_000, 200, Duration.ofSeconds(10), DEFAULT_MAX_PUSH_EVENTS);
  }

  /** Limits with the default number of pushed events and store timeout. */
  public GatewayLimits(int maxBodyBytes, int maxEntities, int maxFeatures, Duration bodyTimeout) {
    this(maxBodyBytes, maxEntities, maxFeatures, bodyTimeout, DEFAULT_MAX_PUSH_EVENTS);
  }

  /** Limits with the default store timeout. */
  public GatewayLimits(
      int maxBodyBytes, int maxEntities, int maxFeatures, Duration bodyTimeout, int maxPushEvents) {
    this(
        maxBodyBytes,
        maxEntities,
        maxFeatures,
        bodyTimeout,
        maxPushEvents,
        OnlineReader.COMMAND_TIMEOUT);
  }

  public GatewayLimits {
    positive("maxBodyBytes", maxBodyBytes, "e.g. 1048576 for 1 MiB");
    positive("maxEntities", maxEntities, "e.g. 1000");
    positive("maxFeatures", maxFeatures, "e.g. 200");
    positive("maxPushEvents", maxPushEvents, "e.g. 1000");
    if (bodyTimeout == null || bodyTimeout.isNegative() || bodyTimeout.isZero()) {
      throw new IllegalArgumentException(
          "gateway limit bodyTimeout " + bodyTimeout + " must be positive (e.g. 10 s)");
    }
    if (storeTimeout == null || storeTimeout.isNegative() || storeTimeout.isZero()) {
      throw new IllegalArgumentException(
          "gateway limit storeTimeout " + storeTimeout + " must be positive (e.g. 250 ms)");
    }
  }

  public GatewayLimits withMaxBodyBytes(int bytes) {
    return new GatewayLimits(
        bytes, maxEntities, maxFeatures, bodyTimeout, maxPushEvents, storeTimeout);
  }

  public GatewayLimits withMaxEntities(int entities) {
    return new GatewayLimits(
        maxBodyBytes, entities, maxFeatures, bodyTimeout, maxPushEvents, storeTimeout);
  }

  public GatewayLimits withMaxFeatures(int features) {
    return new GatewayLimits(
        maxBodyBytes, maxEntities, features, bodyTimeout, maxPushEvents, storeTimeout);
  }

  public GatewayLimits withBodyTimeout(Duration timeout) {
    return new GatewayLimits(
        maxBodyBytes, maxEntities, maxFeatures, timeout, maxPushEvents, storeTimeout);
  }

  public GatewayLimits withMaxPushEvents(int events) {
    return new GatewayLimits(
        maxBodyBytes, maxEntities, maxFeatures, bodyTimeout, events, storeTimeout);
  }

  /**
   * Limits under which one online-store command may take {@code timeout} before the request answers
   * 503.
   */
  public GatewayLimits withStoreTimeout(Duration timeout) {
    return new GatewayLimits(
        maxBodyBytes, maxEntities, maxFeatures, bodyTimeout, maxPushEvents, timeout);
  }

  private static void positive(String name, int value, String example) {
    if (value < 1) {
      throw new IllegalArgumentException(
          "gateway limit " + name + " " + value + " must be at least 1 (" + example + ")");
    }
  }
}
