package io.freshet.gateway.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.gateway.online.FieldStatus;
import io.freshet.gateway.online.OnlineFeatures;
import io.freshet.gateway.online.RowRead;
import io.freshet.gateway.query.FeatureColumns;
import io.freshet.gateway.query.OnlineQuery;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.OnDemandPlan;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /get-online-features}, column-major as Feast's feature server answers:
 *
 * <pre>{@code
 * {"metadata": {"feature_names": ["user_id", "event_count_1h", "revenue_1h"],
 *               "request_instants": ["2026-11-23T12:00:07.123456Z", "2026-11-23T12:00:07.123456Z"]},
 *  "results": [
 *    {"values": ["user_42", "user_7"], "statuses": ["PRESENT", "PRESENT"],
 *     "event_timestamps": ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"]},
 *    {"values": [12, null], "statuses": ["PRESENT", "NOT_FOUND"],
 *     "event_timestamps": ["2026-11-23T12:00:00Z", "1970-01-01T00:00:00Z"]},
 *    {"values": [19.99, null], "statuses": ["PRESENT", "NOT_FOUND"],
 *     "event_timestamps": ["2026-11-23T12:00:00Z", "1970-01-01T00:00:00Z"]}]}
 * }</pre>
 *
 * <p>The entity columns come first, in request order, echoing the values as sent (status PRESENT,
 * timestamp the epoch, as Feast does), then one column per feature in request order. A value is
 * typed by its plan part (as in {@link FeatureJson}); its timestamp is the row's {@code feature_ts}
 * (the window end), for a request-time view the request instant with microseconds (e.g. {@code
 * 2026-12-03T09:00:00.123456Z}, the label instant of an as-served training row), or the epoch when
 * there is no row; its status is a {@link FieldStatus}. Values of rows OUTSIDE_MAX_AGE are
 * returned, as Feast's Go server does; INVALID and NOT_FOUND values are null.
 *
 * <p>{@code metadata.request_instants}, a Freshet addition that Feast clients ignore (they read
 * {@code feature_names} only), has one item per entity row: the instant on the online store's
 * clock, with microseconds, at which the row's window-end features were read and their statuses
 * judged (for a request that names only request-time views, the read of the first of them, as in
 * its event timestamps). An as-served training set with a label at that instant returns the same
 * values. The results keep Feast's shape.
 */
final class FeastJson {
  static final String EPOCH = Instant.EPOCH.toString();

  /** Text written many times per answer, encoded once. */
  private static final SerializedString EPOCH_JSON = new SerializedString(EPOCH);

  /** The field names of the answer. */
  private static final SerializedString METADATA = new SerializedString("metadata");

  private static final SerializedString FEATURE_NAMES = new SerializedString("feature_names");
  private static final SerializedString REQUEST_INSTANTS = new SerializedString("request_instants");
  private static final SerializedString RESULTS = new SerializedString("results");
  private static final SerializedString VALUES = new SerializedString("values");
  private static final SerializedString STATUSES = new SerializedString("statuses");
  private static final SerializedString EVENT_TIMESTAMPS = new SerializedString("event_timestamps");

  private static final SerializedString[] STATUS_JSON =
      new SerializedString[FieldStatus.values().length];

  static {
    for (FieldStatus s : FieldStatus.values()) {
      STATUS_JSON[s.ordinal()] = new SerializedString(s.name());
    }
  }

  private FeastJson() {}

  static Buffer write(OnlineQuery query, List<RowRead> reads, long instantMillis) {
    int rows = query.request().rows();
    List<FeatureColumns.Column> columns = query.columns().columns();
    Map<String, List<JsonNode>> entities = query.request().entities();
    Buffer out = Buffer.buffer(256 + rows * (entities.size() + columns.size()) * 40);
    try (JsonGenerator json =
        JsonResponses.MAPPER.getFactory().createGenerator(new BufferOutput(out))) {
      json.writeStartObject();
      json.writeFieldName(METADATA);
      json.writeStartObject();
      startArray(json, FEATURE_NAMES);
      for (String joinKey : entities.keySet()) {
        json.writeString(joinKey);
      }
      for (FeatureColumns.Column c : columns) {
        json.writeString(c.name());
      }
      for (String name : query.columns().onDemandNames(query.request().fullFeatureNames())) {
        json.writeString(name);
      }
      json.writeEndArray();
      startArray(json, REQUEST_INSTANTS);
      // The rows of one read share its instant: each distinct one is written out once.
      long lastMicros = RowRead.NO_INSTANT;
      SerializedString lastInstant = null;
      for (int r = 0; r < rows; r++) {
        long micros = requestMicros(query, reads, r);
        if (micros == RowRead.NO_INSTANT) {
          json.writeNull();
          continue;
        }
        if (lastInstant == null || micros != lastMicros) {
          lastInstant = new SerializedString(OnlineFeatures.requestInstant(micros));
          lastMicros = micros;
        }
        json.writeString(lastInstant);
      }
      json.writeEndArray();
      json.writeEndObject();
      startArray(json, RESULTS);
      for (List<JsonNode> values : entities.values()) {
        json.writeStartObject();
        startArray(json, VALUES);
        for (JsonNode v : values) {
          json.writeTree(v);
        }
        json.writeEndArray();
        repeat(json, STATUSES, STATUS_JSON[FieldStatus.PRESENT.ordinal()], rows);
        repeat(json, EVENT_TIMESTAMPS, EPOCH_JSON, rows);
        json.writeEndObject();
      }
      // Per row read, once: its values, status and event timestamp, whatever the columns.
      int keys = reads.size();
      Object[][] values = new Object[keys][];
      FieldStatus[] rowStatuses = new FieldStatus[keys];
      SerializedString[] rowTimestamps = new SerializedString[keys];
      for (int k = 0; k < keys; k++) {
        RowRead read = reads.get(k);
        values[k] = read.found() == null ? null : read.found().row().values();
        rowStatuses[k] = read.rowStatus();
        String at = read.eventTimestamp();
        rowTimestamps[k] = at == null ? EPOCH_JSON : new SerializedString(at);
      }
      SerializedString[] statuses = new SerializedString[rows];
      SerializedString[] timestamps = new SerializedString[rows];
      for (FeatureColumns.Column c : columns) {
        FeaturePart part = c.part();
        int index = part.index();
        json.writeStartObject();
        startArray(json, VALUES);
        for (int r = 0; r < rows; r++) {
          int k = query.keyIndex(c.view(), r);
          Object value = values[k] == null ? null : values[k][index];
          FeatureJson.writeValue(json, part, value);
          statuses[r] = STATUS_JSON[FieldStatus.of(rowStatuses[k], value).ordinal()];
          timestamps[r] = rowTimestamps[k];
        }
        json.writeEndArray();
        startArray(json, STATUSES);
        for (SerializedString s : statuses) {
          json.writeString(s);
        }
        json.writeEndArray();
        startArray(json, EVENT_TIMESTAMPS);
        for (SerializedString t : timestamps) {
          json.writeString(t);
        }
        json.writeEndArray();
        json.writeEndObject();
      }
      if (query.hasOnDemand()) {
        writeOnDemand(json, query, rows, values, rowStatuses, instantMillis);
      }
      json.writeEndArray();
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the answer of get-online-features", e);
    }
    return out;
  }

  /**
   * The on-demand columns after the stored ones: each value as {@link OnDemandPlan#text} gives it
   * (a number written as that text, so a training set's CSV cell holds the same characters), status
   * PRESENT or NOT_FOUND (null), timestamp the epoch. Inputs are the stored values whose status is
   * PRESENT, as a training set sees them (nothing beyond the view's TTL).
   */
  private static void writeOnDemand(
      JsonGenerator json,
      OnlineQuery query,
      int rows,
      Object[][] values,
      FieldStatus[] rowStatuses,
      long instantMillis)
      throws IOException {
    List<FeatureColumns.Column> inputs = query.columns().inputs();
    OnDemandPlan plan = query.columns().onDemand();
    int outputs = plan.outputs().size();
    Object[][] byRow = new Object[rows][];
    for (int r = 0; r < rows; r++) {
      int row = r;
      byRow[r] =
          query.onDemand(
              r,
              i -> {
                FeatureColumns.Column c = inputs.get(i);
                int k = query.keyIndex(c.view(), row);
                Object v = values[k] == null ? null : values[k][c.part().index()];
                return FeatureJson.presentValue(v, rowStatuses[k], c.part());
              },
              instantMillis);
    }
    for (int o = 0; o < outputs; o++) {
      json.writeStartObject();
      startArray(json, VALUES);
      for (int r = 0; r < rows; r++) {
        Object v = byRow[r][o];
        if (v == null) {
          json.writeNull();
        } else if (v instanceof Double) {
          json.writeNumber(OnDemandPlan.text(v));
        } else if (v instanceof Boolean b) {
          json.writeBoolean(b);
        } else {
          json.writeString((String) v);
        }
      }
      json.writeEndArray();
      startArray(json, STATUSES);
      for (int r = 0; r < rows; r++) {
        FieldStatus s = byRow[r][o] == null ? FieldStatus.NOT_FOUND : FieldStatus.PRESENT;
        json.writeString(STATUS_JSON[s.ordinal()]);
      }
      json.writeEndArray();
      repeat(json, EVENT_TIMESTAMPS, EPOCH_JSON, rows);
      json.writeEndObject();
    }
  }

  /**
   * The instant (epoch microseconds) entity row {@code r}'s answer holds at: the read of its
   * window-end views (one script for the entity's keys, which share a hash slot), or, when the
   * request names only request-time views, the read of the first of them; {@link
   * RowRead#NO_INSTANT} when the row has no read with the store's clock.
   */
  private static long requestMicros(OnlineQuery query, List<RowRead> reads, int r) {
    int views = query.columns().views().size();
    long first = RowRead.NO_INSTANT;
    for (int v = 0; v < views; v++) {
      RowRead read = reads.get(query.keyIndex(v, r));
      if (!read.key().plan().requestTime()) {
        return read.readMicros();
      }
      if (first == RowRead.NO_INSTANT) {
        first = read.readMicros();
      }
    }
    return first;
  }

  private static void startArray(JsonGenerator json, SerializedString field) throws IOException {
    json.writeFieldName(field);
    json.writeStartArray();
  }

  private static void repeat(
      JsonGenerator json, SerializedString field, SerializedString value, int times)
      throws IOException {
    startArray(json, field);
    for (int i = 0; i < times; i++) {
      json.writeString(value);
    }
    json.writeEndArray();
  }
}
