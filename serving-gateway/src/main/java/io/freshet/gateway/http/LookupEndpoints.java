package io.freshet.gateway.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.gateway.metrics.GatewayMetrics;
import io.freshet.gateway.online.OnlineTableReader;
import io.freshet.gateway.online.RowKey;
import io.freshet.gateway.online.RowRead;
import io.freshet.gateway.query.FeatureColumns;
import io.freshet.gateway.query.RequestData;
import io.freshet.gateway.query.RequestRejection;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.OnDemandPlan;
import io.freshet.plan.ViewPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The routes for a person with curl: {@code GET /features/{view}/{entity}} (one view, {@link
 * FeatureJson}) and {@code GET /feature-services/{name}/{entity}}:
 *
 * <pre>{"feature_service": "checkout_model", "entity": "user_42",
 *  "views": [{"view": "user_activity", "version": "1a2b3c4d5e",
 *             "feature_ts": "2026-11-23T12:00:00Z", "status": "PRESENT",
 *             "request_instant": "2026-11-23T12:00:07.123456Z",
 *             "features": {"event_count_1h": 12, "revenue_1h": 19.99}}]}</pre>
 *
 * <p>A service with on-demand features also answers {@code "on_demand": {"amount_vs_avg_purchase":
 * 0.87, ...}}, computed as {@code POST /get-online-features} computes them; its request fields come
 * from the URL's query ({@code ?amount=42.0}), and a missing or ill-typed one is a 400 naming it.
 *
 * <p>A feature service's window-end views are read with one script that also reads the online
 * store's clock (the entity's keys share a hash slot), its request-time views with one script each;
 * every view names the instant its answer holds at ({@code request_instant}). A view without a row
 * for the entity is listed with status NOT_FOUND and null values, so the answer is 200 whenever the
 * service exists. The entity is the stored key of every view (parts of a compound key joined by
 * U+001F).
 */
final class LookupEndpoints {
  private final GatewayRequestHandler handler;
  private final FeatureServiceResolver services;
  private final OnlineTableReader reader;
  private final GatewayMetrics metrics;

  LookupEndpoints(
      GatewayRequestHandler handler,
      FeatureServiceResolver services,
      OnlineTableReader reader,
      GatewayMetrics metrics) {
    this.handler = handler;
    this.services = services;
    this.reader = reader;
    this.metrics = metrics;
  }

  void features(Exchange exchange, String rawView, String rawEntity) {
    String view = decode("view", rawView);
    String entity = decode("entity", rawEntity);
    Optional<Catalog> catalog = handler.catalogOrAnswer(exchange);
    if (catalog.isEmpty()) {
      return;
    }
    ViewPlan plan = knownView(catalog.get(), view);
    checkEntity(entity, "GET /features/" + view + "/{entity}");
    handler.onContext(
        reader.read(plan, entity),
        exchange,
        read -> {
          metrics.recordRows(List.of(read), reader.clock().millis());
          answerFeatures(exchange, plan, entity, read);
        });
  }

  private static void answerFeatures(
      Exchange exchange, ViewPlan plan, String entity, RowRead read) {
    if (read.found() != null) {
      exchange.send(
          200,
          JsonResponses.APPLICATION_JSON,
          FeatureJson.write(read.found(), read.requestInstant()));
    } else {
      exchange.json(
          404,
          JsonResponses.error(
              "not_found",
              "entity",
              entity,
              "no features for entity '" + entity + "' in view '" + plan.name() + "'"));
    }
  }

  void featureService(Exchange exchange, String rawName, String rawEntity) {
    String name = decode("name", rawName);
    String entity = decode("entity", rawEntity);
    Optional<Catalog> catalog = handler.catalogOrAnswer(exchange);
    if (catalog.isEmpty()) {
      return;
    }
    FeatureColumns columns =
        FeatureColumns.ofService(name, services, catalog.get(), false, "name", 404);
    checkEntity(entity, "GET /feature-services/" + name + "/{entity}");
    OnDemandPlan onDemand = columns.onDemand();
    RequestData requestData =
        onDemand == null
            ? null
            : RequestData.fromQuery(onDemand, field -> exchange.request().getParam(field));
    List<RowKey> keys = new ArrayList<>();
    for (ViewPlan plan : columns.views()) {
      keys.add(new RowKey(plan, entity));
    }
    handler.onContext(
        reader.readAll(keys),
        exchange,
        reads -> {
          metrics.recordRows(reads, reader.clock().millis());
          ObjectNode body = GatewayRequestHandler.object();
          body.put("feature_service", name);
          body.put("entity", entity);
          ArrayNode views = body.putArray("views");
          for (int v = 0; v < columns.views().size(); v++) {
            final int view = v;
            List<FeaturePart> parts =
                columns.columns().stream()
                    .filter(c -> c.view() == view)
                    .map(FeatureColumns.Column::part)
                    .toList();
            views.add(FeatureJson.ofView(columns.views().get(v), reads.get(v), parts));
          }
          if (onDemand != null) {
            putOnDemand(body, columns, reads, requestData, reader.clock().millis());
          }
          exchange.json(200, body);
        });
  }

  /**
   * The service's on-demand features, computed as {@code POST /get-online-features} computes them
   * (the same evaluator, inputs only when PRESENT, the gateway's clock as the request instant),
   * each number written as {@link OnDemandPlan#text} gives it.
   */
  private static void putOnDemand(
      ObjectNode body,
      FeatureColumns columns,
      List<RowRead> reads,
      RequestData requestData,
      long instantMillis) {
    OnDemandPlan plan = columns.onDemand();
    List<FeatureColumns.Column> inputs = columns.inputs();
    Object[] values =
        plan.evaluate(
            ref -> {
              for (int i = 0; i < inputs.size(); i++) {
                if (plan.inputs().get(i).equals(ref)) {
                  FeatureColumns.Column c = inputs.get(i);
                  return FeatureJson.presentValue(reads.get(c.view()), c.part());
                }
              }
              return null;
            },
            field -> requestData.value(field, 0),
            instantMillis);
    ObjectNode out = body.putObject("on_demand");
    for (int o = 0; o < values.length; o++) {
      String name = plan.outputs().get(o).name();
      Object v = values[o];
      if (v == null) {
        out.putNull(name);
      } else if (v instanceof Double) {
        out.putRawValue(name, new RawValue(OnDemandPlan.text(v)));
      } else if (v instanceof Boolean b) {
        out.put(name, b);
      } else {
        out.put(name, (String) v);
      }
    }
  }

  /**
   * The view of {@code catalog} named {@code view}.
   *
   * @throws RequestRejection 404 naming the views it knows
   */
  static ViewPlan knownView(Catalog catalog, String view) {
    ViewPlan plan = catalog.find(view);
    if (plan == null) {
      List<String> known = catalog.plans().stream().map(ViewPlan::name).toList();
      throw new RequestRejection(
          404,
          "unknown_view",
          "view",
          view,
          "unknown feature view '" + view + "' (known views: " + known + ")");
    }
    return plan;
  }

  /** A decoded path segment; a malformed percent escape is a 400 naming {@code field}. */
  static String decode(String field, String raw) {
    try {
      return PathSegments.decode(raw);
    } catch (IllegalArgumentException e) {
      throw RequestRejection.badRequest(
          field, raw, field + " path segment '" + raw + "': " + e.getMessage());
    }
  }

  private static void checkEntity(String entity, String route) {
    if (entity.isEmpty()) {
      throw RequestRejection.badRequest("entity", entity, "entity key is empty (" + route + ")");
    }
  }
}
