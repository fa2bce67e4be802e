package io.freshet.gateway.query;

import java.util.OptionalLong;

/**
 * A request the gateway will not serve as sent, with everything its JSON error shows: the HTTP
 * status, a machine-readable code, the request field at fault, the value received there, the limit
 * exceeded (if one was), and a message saying what to do.
 */
public final class RequestRejection extends RuntimeException {
  private final int status;
  private final String code;
  private final String field;
  private final String value;
  private final OptionalLong limit;

  public RequestRejection(int status, String code, String field, String value, String message) {
    this(status, code, field, value, OptionalLong.empty(), message);
  }

  private RequestRejection(
      int status, String code, String field, String value, OptionalLong limit, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.field = field;
    this.value = value;
    this.limit = limit;
  }

  /** 400 {@code bad_request}: the field holds something the API does not accept. */
  public static RequestRejection badRequest(String field, String value, String message) {
    return new RequestRejection(400, "bad_request", field, value, message);
  }

  /** A request over one of the configured limits. */
  public static RequestRejection overLimit(
      int status, String code, String field, long value, long limit, String message) {
    return new RequestRejection(
        status, code, field, Long.toString(value), OptionalLong.of(limit), message);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** The request part at fault: a JSON path such as {@code entities.user_id[3]}, or a header. */
  public String field() {
    return field;
  }

  /** What was received there, as text (JSON values in their JSON form). */
  public String value() {
    return value;
  }

  public OptionalLong limit() {
    return limit;
  }
}
