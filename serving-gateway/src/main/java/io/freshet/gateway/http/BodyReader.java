package io.freshet.gateway.http;

import io.freshet.gateway.GatewayLimits;
import io.freshet.gateway.query.RequestRejection;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.Consumer;

/**
 * Reads a request body within the limits, on the event loop, without blocking.
 *
 * <ul>
 *   <li>A {@code Content-Length} over the limit is answered 413 before the body is read; so is a
 *       chunked body the moment it passes the limit.
 *   <li>A body not complete within the body timeout is answered 408 and its connection closed.
 *   <li>After an early answer the rest of the body is read and dropped, so the client can read the
 *       answer and reuse the connection; past {@link #DRAIN_LIMIT} more bytes the connection is
 *       closed instead. A client that sent {@code Expect: 100-continue} is answered at once and
 *       never sends the body.
 *   <li>A compressed body ({@code Content-Encoding}) is refused with 415.
 * </ul>
 */
final class BodyReader {
  /** How much of a refused body is read and dropped before the connection is closed. */
  static final long DRAIN_LIMIT = 16L << 20;

  private final Exchange exchange;
  private final GatewayLimits limits;
  private final Consumer<Buffer> onBody;
  private final Buffer body = Buffer.buffer();
  private long dropped;
  private boolean refused;
  private long timer = -1;

  private BodyReader(Exchange exchange, GatewayLimits limits, Consumer<Buffer> onBody) {
    this.exchange = exchange;
    this.limits = limits;
    this.onBody = onBody;
  }

  /** Reads the body of the exchange's request and hands it to {@code onBody}, or answers 4xx. */
  static void read(Exchange exchange, GatewayLimits limits, Vertx vertx, Consumer<Buffer> onBody) {
    new BodyReader(exchange, limits, onBody).start(vertx);
  }

  private void start(Vertx vertx) {
    HttpServerRequest request = exchange.request();
    request.handler(this::chunk);
    request.endHandler(v -> end(vertx));
    request.exceptionHandler(e -> cancel(vertx));
    String encoding = request.getHeader(HttpHeaders.CONTENT_ENCODING);
    if (encoding != null && !encoding.isBlank() && !encoding.equalsIgnoreCase("identity")) {
      refuse(
          new RequestRejection(
              415,
              "unsupported_content_encoding",
              "Content-Encoding",
              encoding,
              "request bodies are read uncompressed (send the JSON without Content-Encoding)"));
      return;
    }
    boolean expectsContinue =
        "100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT));
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null) {
      long declared = parseLength(length);
      if (declared > limits.maxBodyBytes()) {
        if (expectsContinue) {
          exchange.closeAfterAnswer();
        }
        refuse(tooLarge(declared, "is"));
        return;
      }
    }
    if (expectsContinue) {
      request.response().writeContinue();
    }
    timer =
        vertx.setTimer(
            limits.bodyTimeout().toMillis(),
            t -> {
              timer = -1;
              if (refused) {
                exchange.request().connection().close();
                return;
              }
              exchange.closeAfterAnswer();
              refuse(
                  new RequestRejection(
                      408,
                      "request_timeout",
                      "body",
                      Long.toString(body.length() + dropped),
                      "the request body did not arrive within "
                          + limits.bodyTimeout().toMillis()
                          + " ms ("
                          + (body.length() + dropped)
                          + " bytes received; send the whole body at once)"));
            });
  }

  private void chunk(Buffer data) {
    if (refused) {
      dropped += data.length();
      if (dropped > DRAIN_LIMIT) {
        exchange.request().connection().close();
      }
      return;
    }
    if ((long) body.length() + data.length() > limits.maxBodyBytes()) {
      dropped = body.length() + (long) data.length();
      refuse(tooLarge(dropped, "has at least"));
      return;
    }
    body.appendBuffer(data);
  }

  private void end(Vertx vertx) {
    cancel(vertx);
    if (!refused) {
      onBody.accept(body);
    }
  }

  private void cancel(Vertx vertx) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void refuse(RequestRejection rejection) {
    if (refused) {
      return;
    }
    refused = true;
    exchange.reject(rejection);
  }

  private RequestRejection tooLarge(long size, String verb) {
    return RequestRejection.overLimit(
        413,
        "body_too_large",
        "body",
        size,
        limits.maxBodyBytes(),
        "the request body "
            + verb
            + " "
            + size
            + " bytes, more than the limit of "
            + limits.maxBodyBytes()
            + " bytes (split the request into smaller ones)");
  }

  private static long parseLength(String header) {
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
