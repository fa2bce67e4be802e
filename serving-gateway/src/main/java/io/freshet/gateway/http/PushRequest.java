package io.freshet.gateway.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.gateway.GatewayLimits;
import io.freshet.gateway.query.RequestRejection;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The body of {@code POST /push}, checked: the view and its events, each as the bytes that go to
 * Kafka. Two shapes:
 *
 * <pre>
 * {"view": "user_activity", "events": [{...}, {...}]}        one JSON object per event, produced
 *                                                            byte for byte as sent
 * {"push_source_name": "user_activity", "df": {"user_id": ["u1", "u2"], "revenue": [1.5, 2]},
 *  "to": "online"}                                          Feast's push: columns of equal
 *                                                            length, one event per row
 * </pre>
 *
 * <p>{@code view} and {@code push_source_name} name a feature view (Freshet has no push sources of
 * its own: a view's topic is where its events go). Feast's {@code to} may be {@code online} or
 * {@code online_and_offline}: the streaming job writes both the online table and the offline
 * history; {@code offline} alone is refused. Feast's {@code allow_registry_cache} is accepted and
 * ignored.
 */
record PushRequest(String view, String viewField, List<byte[]> events) {
  private static final Set<String> FIELDS =
      Set.of("view", "push_source_name", "events", "df", "to", "allow_registry_cache");

  static final String EXAMPLE =
      "{\"view\": \"user_activity\", \"events\": [{\"user_id\": \"user_42\", \"event_ts\":"
          + " \"2026-11-23T12:00:00Z\", \"event_type\": \"purchase\", \"revenue\": 19.99}]}";

  static PushRequest parse(byte[] body, JsonNode root, GatewayLimits limits) {
    if (!root.isObject()) {
      throw RequestRejection.badRequest(
          "body",
          root.getNodeType().toString().toLowerCase(java.util.Locale.ROOT),
          "the request body must be a JSON object such as " + EXAMPLE);
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!FIELDS.contains(name)) {
        throw new RequestRejection(
            400,
            "unknown_field",
            name,
            root.get(name).toString(),
            "unknown field '"
                + name
                + "' (a push has view or push_source_name, events or df, and optionally to)");
      }
    }
    String viewField = root.has("view") ? "view" : "push_source_name";
    if (root.has("view") && root.has("push_source_name")) {
      throw RequestRejection.badRequest(
          "push_source_name",
          root.get("push_source_name").toString(),
          "give either view or push_source_name (Feast's name for it), not both");
    }
    JsonNode view = root.get(viewField);
    if (view == null || view.isNull()) {
      throw RequestRejection.badRequest(
          "view", "", "the feature view to push to is missing (e.g. " + EXAMPLE + ")");
    }
    if (!view.isTextual() || view.textValue().isBlank()) {
      throw RequestRejection.badRequest(
          viewField, view.toString(), viewField + " must be the name of a feature view");
    }
    JsonNode to = root.get("to");
    if (to != null
        && !(to.isTextual()
            && (to.textValue().equals("online") || to.textValue().equals("online_and_offline")))) {
      throw RequestRejection.badRequest(
          "to",
          to.toString(),
          "to must be \"online\" or \"online_and_offline\": pushed events go through the view's"
              + " topic and stream, which write both the online table and the offline history");
    }
    JsonNode allowCache = root.get("allow_registry_cache");
    if (allowCache != null && !allowCache.isBoolean()) {
      throw RequestRejection.badRequest(
          "allow_registry_cache", allowCache.toString(), "allow_registry_cache must be a boolean");
    }
    boolean hasEvents = root.has("events");
    boolean hasDf = root.has("df");
    if (hasEvents == hasDf) {
      throw RequestRejection.badRequest(
          hasEvents ? "df" : "events",
          "",
          hasEvents
              ? "give either events or df, not both"
              : "the events are missing: give events (a list of JSON objects) or df (Feast's"
                  + " columns)");
    }
    List<byte[]> events =
        hasEvents ? rows(body, root.get("events"), limits) : df(root.get("df"), limits);
    return new PushRequest(view.textValue(), viewField, events);
  }

  private static List<byte[]> rows(byte[] body, JsonNode events, GatewayLimits limits) {
    if (!events.isArray()) {
      throw RequestRejection.badRequest(
          "events", events.toString(), "events must be a list of JSON objects, one per event");
    }
    count("events", events.size(), limits);
    List<byte[]> spans = spans(body);
    List<byte[]> out = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      byte[] raw = i < spans.size() ? spans.get(i) : null;
      // An element that is not an object goes to the decoder as its JSON text, to be rejected.
      out.add(
          raw != null
              ? raw
              : events.get(i).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return out;
  }

  private static List<byte[]> df(JsonNode df, GatewayLimits limits) {
    if (!df.isObject() || df.isEmpty()) {
      throw RequestRejection.badRequest(
          "df",
          df.toString(),
          "df must be an object of columns, each a list of one value per event (e.g. {\"user_id\":"
              + " [\"u1\", \"u2\"], \"event_ts\": [\"2026-11-23T12:00:00Z\", \"2026-11-23T12:00:01Z\"]})");
    }
    int rows = -1;
    String first = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = df.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> column = it.next();
      if (!column.getValue().isArray()) {
        throw RequestRejection.badRequest(
            "df." + column.getKey(),
            column.getValue().toString(),
            "column '" + column.getKey() + "' must be a list of one value per event");
      }
      int size = column.getValue().size();
      count("df." + column.getKey(), size, limits);
      if (rows < 0) {
        rows = size;
        first = column.getKey();
      } else if (size != rows) {
        throw RequestRejection.badRequest(
            "df." + column.getKey(),
            Integer.toString(size),
            "column '"
                + column.getKey()
                + "' has "
                + size
                + " values but column '"
                + first
                + "' has "
                + rows
                + ": every column needs one value per event");
      }
    }
    List<byte[]> out = new ArrayList<>(rows);
    for (int i = 0; i < rows; i++) {
      ObjectNode row = JsonResponses.MAPPER.createObjectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = df.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> column = it.next();
        row.set(column.getKey(), column.getValue().get(i));
      }
      out.add(JsonResponses.bytes(row));
    }
    return out;
  }

  private static void count(String field, int size, GatewayLimits limits) {
    if (size == 0) {
      throw RequestRejection.badRequest(field, "[]", field + " is empty: push at least one event");
    }
    if (size > limits.maxPushEvents()) {
      throw RequestRejection.overLimit(
          400,
          "too_many_events",
          field,
          size,
          limits.maxPushEvents(),
          field
              + " has "
              + size
              + " events, more than the gateway's limit of "
              + limits.maxPushEvents()
              + " per push (send them in several pushes)");
    }
  }

  /**
   * The bytes of each object in the top-level {@code events} list, exactly as sent; null for an
   * element that is not an object.
   */
  private static List<byte[]> spans(byte[] body) {
    List<byte[]> out = new ArrayList<>();
    try (JsonParser p = JsonResponses.STRICT_READER.getFactory().createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return out;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        if (name.equals("events") && t == JsonToken.START_ARRAY) {
          while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
            if (t == JsonToken.START_OBJECT) {
              int start = (int) p.currentTokenLocation().getByteOffset();
              p.skipChildren();
              int end = (int) p.currentTokenLocation().getByteOffset() + 1;
              out.add(
                  start >= 0 && end > start && end <= body.length
                      ? Arrays.copyOfRange(body, start, end)
                      : null);
            } else {
              p.skipChildren();
              out.add(null);
            }
          }
          return out;
        }
        p.skipChildren();
      }
    } catch (IOException e) {
      // The body was parsed once already; the tree's events are written back instead.
    }
    return out;
  }
}
