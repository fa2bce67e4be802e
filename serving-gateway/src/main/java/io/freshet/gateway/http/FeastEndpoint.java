package io.freshet.gateway.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.gateway.GatewayLimits;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.gateway.metrics.GatewayMetrics;
import io.freshet.gateway.online.OnlineTableReader;
import io.freshet.gateway.query.JsonText;
import io.freshet.gateway.query.OnlineFeaturesRequest;
import io.freshet.gateway.query.OnlineQuery;
import io.freshet.gateway.query.PlainRequestReader;
import io.freshet.gateway.query.RequestRejection;
import io.freshet.plan.Catalog;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.Optional;

/**
 * {@code POST /get-online-features}: reads the body within the limits, checks it, resolves it
 * against the catalog in force, reads every row it needs in one round trip ({@link
 * OnlineTableReader#readAll}: window-end rows with the online store's clock) and answers in Feast's
 * shape ({@link FeastJson}). The body is read as JSON whatever its {@code Content-Type}, since
 * Feast's Python client sends none.
 */
final class FeastEndpoint {
  private final GatewayRequestHandler handler;
  private final FeatureServiceResolver services;
  private final OnlineTableReader reader;
  private final GatewayMetrics metrics;
  private final GatewayLimits limits;
  private final PlainRequestReader plain;

  FeastEndpoint(
      GatewayRequestHandler handler,
      FeatureServiceResolver services,
      OnlineTableReader reader,
      GatewayMetrics metrics,
      GatewayLimits limits) {
    this.handler = handler;
    this.services = services;
    this.reader = reader;
    this.metrics = metrics;
    this.limits = limits;
    this.plain = new PlainRequestReader(JsonResponses.STRICT_READER.getFactory(), limits);
  }

  void handle(Exchange exchange) {
    Vertx vertx = Vertx.currentContext().owner();
    BodyReader.read(
        exchange,
        limits,
        vertx,
        body -> {
          try {
            answer(exchange, body);
          } catch (RequestRejection r) {
            exchange.reject(r);
          } catch (RuntimeException | Error e) {
            GatewayRequestHandler.internalError(exchange, e);
          }
        });
  }

  private void answer(Exchange exchange, Buffer body) {
    // The plain, valid shape without a JSON tree; anything else as a tree, whose checks name the
    // fault.
    OnlineFeaturesRequest request = body.length() == 0 ? null : plain.read(body.getBytes());
    if (request == null) {
      request = OnlineFeaturesRequest.parse(parse(body), limits);
    }
    Optional<Catalog> catalog = handler.catalogOrAnswer(exchange);
    if (catalog.isEmpty()) {
      return;
    }
    OnlineQuery query = OnlineQuery.resolve(request, catalog.get(), services);
    handler.onContext(
        reader.readAll(query.keys()),
        exchange,
        reads -> {
          long now = reader.clock().millis();
          metrics.recordRows(reads, now);
          exchange.send(200, JsonResponses.APPLICATION_JSON, FeastJson.write(query, reads, now));
        });
  }

  /** The body as a JSON tree, read strictly; 400 naming the fault when it is not JSON. */
  static JsonNode parse(Buffer body) {
    if (body.length() == 0) {
      throw new RequestRejection(
          400,
          "invalid_json",
          "body",
          "",
          "the request body is empty (send a JSON object such as {\"features\":"
              + " [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\": [\"user_42\"]}})");
    }
    try {
      JsonNode root = JsonResponses.STRICT_READER.readTree(body.getBytes());
      if (root == null || root.isMissingNode()) {
        throw new RequestRejection(
            400, "invalid_json", "body", "", "the request body holds no JSON value");
      }
      return root;
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " at line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr();
      throw new RequestRejection(
          400,
          "invalid_json",
          "body",
          JsonText.clip(body.getString(0, Math.min(body.length(), JsonText.MAX_CHARS))),
          "the request body is not valid JSON" + where + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new RequestRejection(
          400, "invalid_json", "body", "", "the request body cannot be read: " + e.getMessage());
    }
  }
}
