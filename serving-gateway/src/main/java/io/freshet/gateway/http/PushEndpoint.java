package io.freshet.gateway.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.gateway.GatewayLimits;
import io.freshet.gateway.push.EventLog;
import io.freshet.gateway.query.JsonText;
import io.freshet.gateway.query.RequestRejection;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /push}: reads the body within the limits, checks its shape ({@link PushRequest}),
 * finds the view in the catalog in force, checks every event with the streaming job's own decoder
 * ({@link EventDecoder}), and produces the good ones to the view's topic, keyed by entity key,
 * through the gateway's idempotent producer ({@link EventLog}). Decoding and producing run on a
 * worker thread; the answer is sent once Kafka acknowledged every good event:
 *
 * <pre>
 * 202 {"view": "user_activity", "topic": "user-events", "accepted": 2,
 *      "rejected": [{"index": 1, "reason": "missing entity key field 'user_id'"}]}
 * </pre>
 *
 * <p>Rejected events are not sent. When Kafka fails the answer is 503 {@code event_log_unavailable}
 * with {@code sent} (the indexes Kafka acknowledged) and {@code not_sent}; a gateway started
 * without Kafka answers 503 {@code push_not_configured}.
 */
final class PushEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(PushEndpoint.class);

  private final GatewayRequestHandler handler;
  private final GatewayLimits limits;
  private final EventLog log;

  /**
   * @param log where events go; null when the gateway runs without Kafka
   */
  PushEndpoint(GatewayRequestHandler handler, GatewayLimits limits, EventLog log) {
    this.handler = handler;
    this.limits = limits;
    this.log = log;
  }

  void handle(Exchange exchange) {
    Vertx vertx = Vertx.currentContext().owner();
    BodyReader.read(
        exchange,
        limits,
        vertx,
        body -> {
          try {
            answer(exchange, vertx, body);
          } catch (RequestRejection r) {
            exchange.reject(r);
          } catch (RuntimeException | Error e) {
            GatewayRequestHandler.internalError(exchange, e);
          }
        });
  }

  private void answer(Exchange exchange, Vertx vertx, Buffer body) {
    if (body.length() == 0) {
      throw new RequestRejection(
          400,
          "invalid_json",
          "body",
          "",
          "the request body is empty (send a JSON object such as " + PushRequest.EXAMPLE + ")");
    }
    byte[] bytes = body.getBytes();
    PushRequest request = PushRequest.parse(bytes, FeastEndpoint.parse(body), limits);
    Optional<Catalog> catalog = handler.catalogOrAnswer(exchange);
    if (catalog.isEmpty()) {
      return;
    }
    ViewPlan plan =
        catalog.get().plans().stream()
            .filter(p -> p.name().equals(request.view()))
            .findFirst()
            .orElse(null);
    if (plan == null) {
      exchange.json(
          404,
          JsonResponses.error(
              "unknown_view",
              request.viewField(),
              request.view(),
              "no feature view named '"
                  + JsonText.clip(request.view())
                  + "' (views: "
                  + catalog.get().plans().stream().map(ViewPlan::name).toList()
                  + ")"));
      return;
    }
    if (plan.tableSourced()) {
      exchange.json(
          400,
          JsonResponses.error(
              "table_view",
              request.viewField(),
              request.view(),
              "feature view '"
                  + plan.name()
                  + "' reads a Postgres table, not events: update the table and load it with"
                  + " `freshet materialize --view "
                  + plan.name()
                  + "`"));
      return;
    }
    if (log == null) {
      exchange.json(
          503,
          JsonResponses.error(
              "push_not_configured",
              "this gateway was started without Kafka, so it cannot take pushed events: start it"
                  + " with the Kafka holding the views' topics (freshet serve --kafka <bootstrap>,"
                  + " or FRESHET_KAFKA; GatewayConfig.withKafka in code)"));
      return;
    }
    String topic = plan.source().topic();
    handler.onContext(
        vertx.executeBlocking(() -> push(plan, topic, request.events()), false).toCompletionStage(),
        exchange,
        result -> exchange.json(result.status(), result.body()));
  }

  private record Answer(int status, ObjectNode body) {}

  /** Decodes and produces; runs on a worker thread. */
  private Answer push(ViewPlan plan, String topic, List<byte[]> events) {
    EventDecoder decoder = new EventDecoder(plan);
    List<EventLog.Record> good = new ArrayList<>(events.size());
    List<Integer> goodIndex = new ArrayList<>(events.size());
    ArrayNode rejected = JsonResponses.MAPPER.createArrayNode();
    for (int i = 0; i < events.size(); i++) {
      Decoded decoded = decoder.decode(events.get(i), "push[" + i + "]");
      if (decoded.isOk()) {
        good.add(new EventLog.Record(decoded.event().key, events.get(i)));
        goodIndex.add(i);
      } else {
        ObjectNode r = rejected.addObject();
        r.put("index", i);
        r.put("reason", JsonText.clipMessage(decoded.rejection()));
      }
    }
    EventLog.Outcome outcome =
        good.isEmpty() ? new EventLog.Outcome(new boolean[0], null) : log.sendAll(topic, good);
    if (outcome.allAcknowledged()) {
      ObjectNode body = JsonResponses.MAPPER.createObjectNode();
      body.put("view", plan.name());
      body.put("topic", topic);
      body.put("accepted", good.size());
      body.set("rejected", rejected);
      return new Answer(202, body);
    }
    ArrayNode sent = JsonResponses.MAPPER.createArrayNode();
    ArrayNode notSent = JsonResponses.MAPPER.createArrayNode();
    for (int j = 0; j < good.size(); j++) {
      (outcome.acknowledged()[j] ? sent : notSent).add(goodIndex.get(j));
    }
    LOG.warn(
        "push of {} events to topic {} at {}: {} acknowledged, {} not",
        good.size(),
        topic,
        log.bootstrapServers(),
        sent.size(),
        notSent.size(),
        outcome.failure());
    ObjectNode body = JsonResponses.MAPPER.createObjectNode();
    body.put("error", "event_log_unavailable");
    body.put(
        "message",
        JsonText.clipMessage(
            "Kafka at "
                + log.bootstrapServers()
                + " did not acknowledge "
                + notSent.size()
                + " of the "
                + good.size()
                + " good events for topic '"
                + topic
                + "' ("
                + outcome.failure()
                + "): "
                + (sent.isEmpty()
                    ? "none was sent"
                    : "those listed in sent were, those in not_sent were not")
                + "; push the events in not_sent again (one whose delivery timed out may"
                + " still have reached the topic)"));
    body.put("view", plan.name());
    body.put("topic", topic);
    body.set("sent", sent);
    body.set("not_sent", notSent);
    body.set("rejected", rejected);
    return new Answer(503, body);
  }
}
