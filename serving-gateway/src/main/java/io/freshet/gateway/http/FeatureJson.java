package io.freshet.gateway.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.gateway.online.FieldStatus;
import io.freshet.gateway.online.OnlineFeatures;
import io.freshet.gateway.online.RowRead;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The body of {@code GET /features/{view}/{entity}}:
 *
 * <pre>{"view": "user_activity", "version": "1a2b3c4d5e", "entity": "user_42",
 *  "feature_ts": "2026-11-23T12:00:00Z", "status": "PRESENT",
 *  "request_instant": "2026-11-23T12:00:07.123456Z",
 *  "features": {"event_count_1h": 12, "purchase_count_1h": 1, "revenue_1h": 19.99, ...}}</pre>
 *
 * <p>Features appear in plan order, typed by the plan: INT64 as a JSON integer, FLOAT64 as a number
 * that parses back to the same double (NaN and infinities as the strings "NaN", "Infinity"), STRING
 * as a string, STRING_LIST as a list of strings, absent values as null. {@code feature_ts} is the
 * window end as an ISO-8601 instant; for a request-time view it is the request instant on the
 * online store's clock, with microseconds ({@link OnlineFeatures#eventTimestamp()}). {@code
 * request_instant} is the instant on the online store's clock at which the value was read, with
 * microseconds: the status was judged at it, and an as-served training set with a label at it
 * returns the same values.
 */
final class FeatureJson {
  private FeatureJson() {}

  static ObjectNode of(OnlineFeatures features, String requestInstant) {
    ObjectNode body = JsonResponses.MAPPER.createObjectNode();
    body.put("view", features.plan().name());
    body.put("version", features.plan().versionTag());
    body.put("entity", features.row().entityKey());
    body.put("feature_ts", features.eventTimestamp());
    body.put("status", features.status().name());
    body.put("request_instant", requestInstant);
    putFeatures(body, features, features.plan().parts());
    return body;
  }

  /**
   * The bytes of {@link #of(OnlineFeatures, String)}, written with a streaming generator straight
   * into the response buffer, without a tree.
   */
  static Buffer write(OnlineFeatures features, String requestInstant) {
    List<FeaturePart> parts = features.plan().parts();
    Buffer out = Buffer.buffer(256 + parts.size() * 32);
    try (JsonGenerator json =
        JsonResponses.MAPPER.getFactory().createGenerator(new BufferOutput(out))) {
      json.writeStartObject();
      json.writeStringField("view", features.plan().name());
      json.writeStringField("version", features.plan().versionTag());
      json.writeStringField("entity", features.row().entityKey());
      json.writeStringField("feature_ts", features.eventTimestamp());
      json.writeStringField("status", features.status().name());
      json.writeStringField("request_instant", requestInstant);
      json.writeObjectFieldStart("features");
      Object[] row = features.row().values();
      for (FeaturePart part : parts) {
        json.writeFieldName(part.name());
        writeValue(json, part, row[part.index()]);
      }
      json.writeEndObject();
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the answer of GET /features", e);
    }
    return out;
  }

  /**
   * One view's part of a feature service's answer, restricted to {@code parts}: as {@link
   * #of(OnlineFeatures, String)} without the entity; with no row, {@code feature_ts} and every
   * value are null and the status is NOT_FOUND, with an undecodable row INVALID.
   */
  static ObjectNode ofView(ViewPlan plan, RowRead read, List<FeaturePart> parts) {
    ObjectNode body = JsonResponses.MAPPER.createObjectNode();
    body.put("view", plan.name());
    body.put("version", plan.versionTag());
    OnlineFeatures features = read.found();
    if (features == null) {
      body.putNull("feature_ts");
    } else {
      body.put("feature_ts", features.eventTimestamp());
    }
    body.put("status", read.rowStatus().name());
    body.put("request_instant", read.requestInstant());
    putFeatures(body, features, parts);
    return body;
  }

  /**
   * The value of {@code part} in {@code read} as an on-demand expression reads it (a Long, Double
   * or String), or null unless its status is PRESENT, as a training set sees it.
   */
  static Object presentValue(RowRead read, FeaturePart part) {
    OnlineFeatures features = read.found();
    return presentValue(
        features == null ? null : features.row().values()[part.index()], read.rowStatus(), part);
  }

  /** {@code v}, a stored value of {@code part} in a row of {@code rowStatus}, as above. */
  static Object presentValue(Object v, FieldStatus rowStatus, FeaturePart part) {
    if (v == null || FieldStatus.of(rowStatus, v) != FieldStatus.PRESENT) {
      return null;
    }
    return switch (part.type()) {
      case INT64 -> ((Number) v).longValue();
      case FLOAT64 -> ((Number) v).doubleValue();
      case STRING -> v.toString();
      case STRING_LIST -> null;
    };
  }

  private static void putFeatures(
      ObjectNode body, OnlineFeatures features, List<FeaturePart> parts) {
    ObjectNode values = body.putObject("features");
    Object[] row = features == null ? null : features.row().values();
    for (FeaturePart part : parts) {
      Object v = row == null ? null : row[part.index()];
      if (v == null) {
        values.putNull(part.name());
        continue;
      }
      switch (part.type()) {
        case INT64 -> values.put(part.name(), ((Number) v).longValue());
        case FLOAT64 -> values.put(part.name(), ((Number) v).doubleValue());
        case STRING -> values.put(part.name(), v.toString());
        case STRING_LIST -> {
          ArrayNode array = values.putArray(part.name());
          for (Object e : (List<?>) v) {
            array.add(String.valueOf(e));
          }
        }
      }
    }
  }

  /** Writes one value typed by its part, as {@link #of} does. */
  static void writeValue(JsonGenerator json, FeaturePart part, Object v) throws IOException {
    if (v == null) {
      json.writeNull();
      return;
    }
    switch (part.type()) {
      case INT64 -> json.writeNumber(((Number) v).longValue());
      case FLOAT64 -> json.writeNumber(((Number) v).doubleValue());
      case STRING -> json.writeString(v.toString());
      case STRING_LIST -> {
        json.writeStartArray();
        for (Object e : (List<?>) v) {
          json.writeString(String.valueOf(e));
        }
        json.writeEndArray();
      }
    }
  }
}
