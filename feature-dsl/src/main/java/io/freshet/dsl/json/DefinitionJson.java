package io.freshet.dsl.json;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureView;
import java.time.Duration;

/**
 * The JSON form of definitions, format 1: what the registry stores, so that the gateway and the
 * training-set builder know every view without the user's jar. It round-trips exactly: {@code
 * viewFromJson(toJson(v)).equals(v)}, and the text itself is stable: {@code
 * toJson(viewFromJson(toJson(v)))} is byte-identical to {@code toJson(v)}.
 *
 * <p>The example view {@code user_activity}, shortened:
 *
 * <pre>{@code
 * {
 *   "format": 1,
 *   "kind": "feature_view",
 *   "name": "user_activity",
 *   "source": {
 *     "type": "kafka_json",
 *     "topic": "user-events",
 *     "key_fields": ["user_id"],
 *     "event_time_field": "event_ts",
 *     "max_out_of_orderness": "PT10M",
 *     "allowed_lateness": "PT0S",
 *     "idle_timeout": "PT30S"
 *   },
 *   "features": [
 *     {
 *       "name": "revenue_1h",
 *       "aggregation": {"op": "sum", "field": "revenue"},
 *       "filter": {"op": "equals", "field": "event_type", "value": "purchase"},
 *       "window": {"size": "PT1H", "slide": "PT15M"}
 *     }
 *   ],
 *   "derived": [
 *     {
 *       "name": "avg_revenue_per_purchase_1h",
 *       "expression": {
 *         "op": "divide",
 *         "left": {"ref": "revenue_1h"},
 *         "right": {"ref": "purchase_count_1h"},
 *         "when_zero": 0.0
 *       }
 *     }
 *   ],
 *   "ttl": "PT2H",
 *   "availability_delay": "PT10M"
 * }
 * }</pre>
 *
 * <p>The rules of format 1:
 *
 * <ul>
 *   <li>{@code "format": 1} and {@code "kind"} ({@code "feature_view"} or {@code
 *       "feature_service"}) come first and are required. A reader rejects a format it does not know
 *       rather than guess.
 *   <li>Durations are ISO-8601 strings as {@link Duration#toString()} writes them ({@code "PT15M"},
 *       {@code "PT168H"} for 7 days, {@code "PT0.25S"}); a reader also takes other ISO-8601 forms
 *       such as {@code "P7D"}.
 *   <li>Aggregations are objects with an {@code "op"}: {@code count} (no field); {@code sum},
 *       {@code min}, {@code max}, {@code avg}, {@code first}, {@code last}, {@code count_distinct}
 *       (each with {@code "field"}); {@code approx_count_distinct} ({@code "field"}, {@code
 *       "lg_k"}); {@code approx_percentile} ({@code "field"}, {@code "quantile"}, {@code "k"});
 *       {@code last_k} ({@code "field"}, {@code "k"}); {@code last_event_time} (no field). The
 *       writer always writes {@code lg_k} and {@code k}; a reader that finds them absent takes the
 *       DSL's defaults (12 and 200).
 *   <li>A lifetime window is {@code {"size": "lifetime", "slide": ...}}; a view that never expires
 *       (no TTL, see {@link FeatureView#NO_TTL}) has {@code "ttl": "none"}.
 *   <li>{@code "filter"} is absent when every event takes part; otherwise {@code {"op": "equals",
 *       "field": ..., "value": ...}}.
 *   <li>Expressions are nested objects: {@code {"ref": "feature"}}, {@code {"constant": 2.0}}, or
 *       {@code {"op": "add" | "subtract" | "multiply" | "divide", "left": ..., "right": ...,
 *       "when_zero": ...}}. {@code when_zero}, the value of a division by 0, is required for {@code
 *       divide}; other operators ignore it, and it is written for them only when it is not 0.
 *   <li>{@code "derived"} is always written; a reader takes its absence as no derived features.
 *   <li>Numbers are written as Java prints them, so every double survives the trip ({@code -0.0}
 *       included). Keys are written in the fixed order shown. An object or array that holds only
 *       strings and numbers is written on one line; others hold one entry per line, indented by two
 *       spaces. The text ends with a newline.
 *   <li>Unknown fields are errors, so that a misspelt {@code "filtr"} cannot silently widen a
 *       feature. Duplicate keys and text after the definition are errors too.
 * </ul>
 *
 * <p>A feature service lists its features as {@code view:feature} strings:
 *
 * <pre>{@code
 * {
 *   "format": 1,
 *   "kind": "feature_service",
 *   "name": "conversion_model",
 *   "features": ["user_activity:event_count_1h", "user_activity:conversion_rate_1h"]
 * }
 * }</pre>
 *
 * <p>Request fields and on-demand features, when a service declares them, follow: {@code
 * "request_fields": [{"name": "amount", "type": "FLOAT64"}]} and {@code "on_demand": [{"name":
 * "amount_vs_avg", "expression": ...}]}, an expression being one of {@code {"feature":
 * "view:feature"}}, {@code {"field": "amount"}}, {@code {"number": 1.5}}, {@code {"text": "web"}},
 * {@code {"op": "divide", "left": ..., "right": ..., "when_zero": 0.0}} (add, subtract, multiply,
 * divide), {@code {"compare": "<", "left": ..., "right": ...}} ({@code < <= > >= == !=}) or {@code
 * {"call": "min", "args": [...]}} (min, max, abs, log, coalesce, seconds_since).
 *
 * <p>Errors are {@link DefinitionException}s naming the JSON path and the problem, e.g. {@code
 * features[2].aggregation.op: unknown aggregation 'summ' (known: count, sum, ...)}; a rule of the
 * DSL that the definition breaks comes with the path of the object that breaks it.
 *
 * <p>Thread-safe: the methods are static and share only immutable configuration.
 */
public final class DefinitionJson {
  /** The format this class writes and the only one it reads. */
  public static final int FORMAT = 1;

  static final String KIND_VIEW = "feature_view";
  static final String KIND_SERVICE = "feature_service";
  static final String SOURCE_KAFKA_JSON = "kafka_json";
  static final String SOURCE_POSTGRES_TABLE = "postgres_table";

  /** Strict about duplicate keys; shared by the reader and the writer. */
  static final JsonMapper MAPPER =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private DefinitionJson() {}

  /** The JSON text of a view in format 1, ending with a newline. */
  public static String toJson(FeatureView view) {
    return DefinitionWriter.print(DefinitionWriter.write(view), "view " + view.name());
  }

  /**
   * Reads a view from its JSON text.
   *
   * @throws DefinitionException if the text is not JSON, not format 1, or not a valid view; the
   *     message names the JSON path and the problem
   */
  public static FeatureView viewFromJson(String json) {
    return DefinitionReader.readView(
        JsonCursor.root(DefinitionReader.parse(json), "a feature view"));
  }

  /** The JSON text of a feature service in format 1, ending with a newline. */
  public static String toJson(FeatureService service) {
    return DefinitionWriter.print(DefinitionWriter.write(service), "service " + service.name());
  }

  /**
   * Reads a feature service from its JSON text.
   *
   * @throws DefinitionException if the text is not JSON, not format 1, or not a valid service; the
   *     message names the JSON path and the problem
   */
  public static FeatureService serviceFromJson(String json) {
    return DefinitionReader.readService(
        JsonCursor.root(DefinitionReader.parse(json), "a feature service"));
  }
}
