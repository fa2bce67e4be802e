package io.freshet.gateway.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.gateway.query.JsonText;
import io.freshet.gateway.query.RequestRejection;

/**
 * Every body the gateway sends is JSON written here, errors included, in one shape:
 *
 * <pre>
 * {"error": "&lt;code&gt;", "field": "&lt;request part&gt;", "value": "&lt;what was received&gt;",
 *  "limit": &lt;the limit exceeded&gt;, "message": "&lt;what is wrong and what to do&gt;"}</pre>
 *
 * <p>{@code field} and {@code value} are present when a part of the request is at fault, {@code
 * limit} when a configured limit was exceeded. Received text is clipped and made valid Unicode
 * ({@link JsonText}), so an error body can always be written.
 */
final class JsonResponses {
  /** Writes bodies; characters beyond the BMP (emoji) as UTF-8, not as escaped surrogates. */
  static final ObjectMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                  .build())
          .build();

  /**
   * Reads request bodies: at most 64 levels of nesting, a repeated field name is an error, and so
   * is anything after the JSON value.
   */
  static final ObjectMapper STRICT_READER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(64).build())
                  .build())
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  static final String APPLICATION_JSON = "application/json";

  private JsonResponses() {}

  /** An error body naming the request part at fault and the value received. */
  static ObjectNode error(String code, String field, String value, String message) {
    ObjectNode body = MAPPER.createObjectNode();
    body.put("error", code);
    body.put("field", JsonText.clip(field));
    body.put("value", JsonText.clip(value));
    body.put("message", JsonText.clipMessage(message));
    return body;
  }

  /** An error body for a fault that is not in one part of the request. */
  static ObjectNode error(String code, String message) {
    ObjectNode body = MAPPER.createObjectNode();
    body.put("error", code);
    body.put("message", JsonText.clipMessage(message));
    return body;
  }

  /** The error body of a rejected request. */
  static ObjectNode error(RequestRejection rejection) {
    ObjectNode body = MAPPER.createObjectNode();
    body.put("error", rejection.code());
    body.put("field", JsonText.clip(rejection.field()));
    body.put("value", JsonText.clip(rejection.value()));
    rejection.limit().ifPresent(limit -> body.put("limit", limit));
    body.put("message", JsonText.clipMessage(rejection.getMessage()));
    return body;
  }

  static byte[] bytes(ObjectNode body) {
    try {
      return MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a JSON tree that Jackson built", e);
    }
  }
}
