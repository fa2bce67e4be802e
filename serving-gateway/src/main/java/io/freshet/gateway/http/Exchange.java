package io.freshet.gateway.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.gateway.metrics.GatewayMetrics;
import io.freshet.gateway.query.RequestRejection;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * One request and its answer: every response goes out through here, so each is JSON (or the text of
 * {@code /metrics}, or a console page or asset), carries no-store (the console's assets a cache
 * lifetime), and is timed under its route's name.
 */
final class Exchange {
  private final HttpServerRequest request;
  private final GatewayMetrics metrics;
  private final long startNanos;
  private String routeName = Route.UNMATCHED;
  private boolean closeAfter;

  Exchange(HttpServerRequest request, GatewayMetrics metrics, long startNanos) {
    this.request = request;
    this.metrics = metrics;
    this.startNanos = startNanos;
  }

  HttpServerRequest request() {
    return request;
  }

  HttpServerResponse response() {
    return request.response();
  }

  void route(String metricName) {
    this.routeName = metricName;
  }

  /** Closes the connection once the answer is written: the client is misbehaving. */
  void closeAfterAnswer() {
    this.closeAfter = true;
  }

  /** Whether an answer was sent already, or the client went away. */
  boolean answered() {
    HttpServerResponse response = request.response();
    return response.ended() || response.closed();
  }

  void json(int status, ObjectNode body) {
    send(status, JsonResponses.APPLICATION_JSON, Buffer.buffer(JsonResponses.bytes(body)));
  }

  void reject(RequestRejection rejection) {
    json(rejection.status(), JsonResponses.error(rejection));
  }

  /** Ends the response with the body, unless the client already went away. */
  void send(int status, String contentType, Buffer body) {
    send(status, contentType, body, "no-store");
  }

  /** As {@link #send(int, String, Buffer)}, with {@code cacheControl} in place of no-store. */
  void send(int status, String contentType, Buffer body, String cacheControl) {
    HttpServerResponse response = request.response();
    if (response.ended() || response.closed()) {
      return;
    }
    response
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, contentType)
        .putHeader(HttpHeaders.CACHE_CONTROL, cacheControl);
    if (closeAfter) {
      response.putHeader(HttpHeaders.CONNECTION, "close");
    }
    Future<Void> written = response.end(body);
    metrics.recordRequest(routeName, status, System.nanoTime() - startNanos);
    if (closeAfter) {
      written.onComplete(done -> request.connection().close());
    }
  }
}
