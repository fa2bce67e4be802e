package io.freshet.aggregate.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.freshet.dsl.Aggregation;
import io.freshet.dsl.AggregationKind;
import io.freshet.dsl.Filter;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.EntityKey;
import java.io.Serializable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one JSON payload into an {@link Event} for a view, or names exactly why it cannot: the
 * reasons become the dead-letter records a person reads.
 *
 * <p>Pure and thread-confined: no Flink, so the stream, the backfill and tests decode alike.
 */
public final class EventDecoder implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Payloads larger than this are rejected unread. */
  public static final int DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

  /** Event times before 2000-01-01T00:00:00Z are taken as broken clocks. */
  public static final long MIN_EVENT_TIME = 946_684_800_000L;

  /** Event times more than this far past the wall clock are taken as broken clocks. */
  public static final long DEFAULT_MAX_FUTURE_MILLIS = 24L * 3600 * 1000;

  private final String viewName;
  private final List<String> keyFields;
  private final String timeField;
  private final List<FeaturePart.Aggregated> parts;
  private final int maxPayloadBytes;
  private final long maxFutureMillis;
  private transient ObjectMapper mapper;

  public EventDecoder(ViewPlan plan) {
    this(plan, DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_MAX_FUTURE_MILLIS);
  }

  public EventDecoder(ViewPlan plan, int maxPayloadBytes, long maxFutureMillis) {
    this.viewName = plan.name();
    this.keyFields = plan.source().keyFields();
    this.timeField = plan.source().eventTimeField();
    this.parts = plan.aggregatedParts();
    this.maxPayloadBytes = maxPayloadBytes;
    this.maxFutureMillis = maxFutureMillis;
  }

  /** Decodes a payload; never throws for bad input. */
  public Decoded decode(byte[] payload, String origin) {
    if (payload == null) {
      return Decoded.rejected("empty record (null value)", null, origin);
    }
    if (payload.length > maxPayloadBytes) {
      String head = new String(payload, 0, 1024, java.nio.charset.StandardCharsets.UTF_8);
      return Decoded.rejected(
          "payload of " + payload.length + " bytes exceeds the limit of " + maxPayloadBytes,
          head,
          origin);
    }
    String raw = new String(payload, java.nio.charset.StandardCharsets.UTF_8);
    return decode(raw, origin);
  }

  /** Decodes a payload given as text; never throws for bad input. */
  public Decoded decode(String raw, String origin) {
    if (raw == null) {
      return Decoded.rejected("empty record (null value)", null, origin);
    }
    if (raw.length() > maxPayloadBytes / 3) {
      int bytes =
          raw.length() > maxPayloadBytes
              ? raw.length()
              : raw.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (bytes > maxPayloadBytes) {
        return Decoded.rejected(
            "payload of more than "
                + maxPayloadBytes
                + " bytes exceeds the limit of "
                + maxPayloadBytes,
            raw.substring(0, 1024),
            origin);
      }
    }
    JsonNode node;
    try {
      node = mapper().readTree(raw);
    } catch (JsonProcessingException e) {
      return Decoded.rejected(
          "unparseable JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""),
          raw,
          origin);
    }
    if (node == null || !node.isObject()) {
      return Decoded.rejected("not a JSON object", raw, origin);
    }
    List<String> keyParts = new ArrayList<>(keyFields.size());
    for (String f : keyFields) {
      JsonNode k = node.get(f);
      if (k == null || k.isNull()) {
        return Decoded.rejected("missing entity key field '" + f + "'", raw, origin);
      }
      if (!k.isTextual() && !k.isIntegralNumber()) {
        return Decoded.rejected(
            "entity key field '" + f + "' must be a string or integer, got " + k.getNodeType(),
            raw,
            origin);
      }
      String s = k.asText();
      if (s.isEmpty()) {
        return Decoded.rejected("entity key field '" + f + "' is empty", raw, origin);
      }
      keyParts.add(s);
    }
    JsonNode t = node.get(timeField);
    if (t == null || t.isNull()) {
      return Decoded.rejected("missing event time field '" + timeField + "'", raw, origin);
    }
    long ts;
    try {
      ts = parseTime(t);
    } catch (IllegalArgumentException e) {
      return Decoded.rejected(
          "event time field '" + timeField + "' " + e.getMessage(), raw, origin);
    }
    if (ts < MIN_EVENT_TIME) {
      return Decoded.rejected(
          "event time " + Instant.ofEpochMilli(ts) + " is before 2000-01-01 (a broken clock?)",
          raw,
          origin);
    }
    long limit = System.currentTimeMillis() + maxFutureMillis;
    if (ts > limit) {
      return Decoded.rejected(
          "event time "
              + Instant.ofEpochMilli(ts)
              + " is more than "
              + (maxFutureMillis / 3_600_000)
              + "h in the future (a broken clock?)",
          raw,
          origin);
    }
    double[] numbers = new double[parts.size()];
    String[] texts = null;
    for (int i = 0; i < numbers.length; i++) {
      FeaturePart.Aggregated p = parts.get(i);
      numbers[i] = Double.NaN;
      if (p.filter() != null && !matches(p.filter(), node)) {
        continue;
      }
      Aggregation a = p.aggregation();
      AggregationKind.Input input = a.kind().input();
      if (input == AggregationKind.Input.NONE) {
        numbers[i] = 1;
        continue;
      }
      JsonNode v = node.get(a.inputField());
      if (v == null || v.isNull()) {
        continue;
      }
      if (input == AggregationKind.Input.TEXT) {
        if (!v.isValueNode()) {
          return Decoded.rejected(
              "field '" + a.inputField() + "' must be a string or number, got " + v.getNodeType(),
              raw,
              origin);
        }
        if (texts == null) {
          texts = new String[parts.size()];
        }
        texts[i] = v.asText();
      } else {
        if (!v.isNumber()) {
          return Decoded.rejected(
              "field '" + a.inputField() + "' must be a number, got " + v.getNodeType(),
              raw,
              origin);
        }
        double d = v.asDouble();
        if (!Double.isFinite(d)) {
          return Decoded.rejected(
              "field '" + a.inputField() + "' must be a finite number, got " + v, raw, origin);
        }
        numbers[i] = d;
      }
    }
    return Decoded.ok(new Event(EntityKey.of(keyParts), ts, numbers, texts), raw, origin);
  }

  /** The name of the view this decoder serves. */
  public String viewName() {
    return viewName;
  }

  private static boolean matches(Filter f, JsonNode node) {
    if (f instanceof Filter.FieldEquals eq) {
      JsonNode v = node.get(eq.field());
      return v != null && v.isTextual() && v.textValue().equals(eq.value());
    }
    throw new IllegalStateException("unknown filter " + f);
  }

  /** Epoch milliseconds from an ISO-8601 instant (with offset) or a number of milliseconds. */
  public static long parseTime(JsonNode t) {
    if (t.isIntegralNumber()) {
      return t.asLong();
    }
    if (t.isTextual()) {
      String s = t.textValue().trim();
      if (!s.isEmpty() && s.chars().allMatch(Character::isDigit) && s.length() <= 18) {
        return Long.parseLong(s);
      }
      try {
        return OffsetDateTime.parse(s).toInstant().toEpochMilli();
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "is not an ISO-8601 instant or epoch milliseconds: '" + s + "'");
      }
    }
    throw new IllegalArgumentException(
        "must be an ISO-8601 string or epoch milliseconds, got " + t.getNodeType());
  }

  private ObjectMapper mapper() {
    if (mapper == null) {
      mapper = new ObjectMapper();
    }
    return mapper;
  }
}
