package io.freshet.deploy.generator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * One sample event of the example view's topic {@code user-events}.
 *
 * @param userId the entity key, e.g. {@code user_0001}
 * @param eventType view, click, search, add_to_cart or purchase
 * @param productId the product, or null (searches, and views of pages that show no product)
 * @param revenue the amount paid, on purchases only, else null
 * @param sessionId the user's current session
 * @param platform ios, android or web
 * @param eventTs when it happened, millisecond precision
 */
public record UserEvent(
    String userId,
    String eventType,
    String productId,
    BigDecimal revenue,
    String sessionId,
    String platform,
    Instant eventTs) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public UserEvent {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(eventType, "eventType");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(eventTs, "eventTs");
    if ((revenue != null) != "purchase".equals(eventType)) {
      throw new IllegalArgumentException(
          "revenue must be set on purchases and only on purchases, got "
              + revenue
              + " on a "
              + eventType);
    }
  }

  /**
   * The JSON the view reads: absent fields are left out, {@code event_ts} is an ISO-8601 instant,
   * e.g. {@code {"user_id":"user_0001","event_type":"purchase","product_id":"prod_0042",
   * "revenue":23.5,"session_id":"sess-3f2a9c01","platform":"ios",
   * "event_ts":"2026-11-23T10:15:30.123Z"}}.
   */
  public String toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("user_id", userId);
    n.put("event_type", eventType);
    if (productId != null) {
      n.put("product_id", productId);
    }
    if (revenue != null) {
      n.put("revenue", revenue);
    }
    n.put("session_id", sessionId);
    n.put("platform", platform);
    n.put("event_ts", eventTs.toString());
    return n.toString();
  }
}
