package io.freshet.gateway.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.gateway.online.RowKey;
import io.freshet.plan.Catalog;
import io.freshet.plan.OnDemandPlan;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.EntityKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@code POST /get-online-features} request resolved against the catalog: its answer columns, and
 * the distinct online rows to read for them, each once, whatever the number of views and entities.
 *
 * <p>Row {@code r} of view {@code v} is {@code keys().get(keyIndex(v, r))}; entity rows that repeat
 * an entity share one key.
 */
public final class OnlineQuery {
  private final OnlineFeaturesRequest request;
  private final FeatureColumns columns;
  private final List<RowKey> keys;
  private final int[][] keyIndex;
  private final RequestData requestData;

  private OnlineQuery(
      OnlineFeaturesRequest request,
      FeatureColumns columns,
      List<RowKey> keys,
      int[][] keyIndex,
      RequestData requestData) {
    this.request = request;
    this.columns = columns;
    this.keys = keys;
    this.keyIndex = keyIndex;
    this.requestData = requestData;
  }

  /**
   * Resolves the request's features (or feature service) and entity rows.
   *
   * @throws RequestRejection naming the field at fault: an unknown view, feature or service, a join
   *     key missing for a view or given for none
   */
  public static OnlineQuery resolve(
      OnlineFeaturesRequest request, Catalog catalog, FeatureServiceResolver services) {
    FeatureColumns columns =
        request.features() != null
            ? FeatureColumns.ofFeatures(request.features(), catalog, request.fullFeatureNames())
            : FeatureColumns.ofService(
                request.featureService(),
                services,
                catalog,
                request.fullFeatureNames(),
                "feature_service",
                400);
    Map<String, List<JsonNode>> entities = request.entities();
    OnDemandPlan onDemand = columns.onDemand();
    Set<String> requestFields = new HashSet<>();
    if (onDemand != null) {
      onDemand.requestFields().forEach(f -> requestFields.add(f.name()));
    }
    Set<String> used = new LinkedHashSet<>();
    for (ViewPlan plan : columns.views()) {
      for (String joinKey : plan.source().keyFields()) {
        if (!entities.containsKey(joinKey)) {
          throw new RequestRejection(
              400,
              "missing_join_key",
              "entities",
              JsonText.clip(entities.keySet().toString()),
              "entities has no "
                  + joinKey
                  + ", the join key of view '"
                  + plan.name()
                  + "' (add \""
                  + joinKey
                  + "\": [...] to entities)");
        }
        used.add(joinKey);
      }
    }
    for (String joinKey : used) {
      List<JsonNode> values = entities.get(joinKey);
      for (int i = 0; i < values.size(); i++) {
        OnlineFeaturesRequest.checkEntityValue("entities." + joinKey, i, values.get(i));
      }
    }
    for (String given : entities.keySet()) {
      if (!used.contains(given) && !requestFields.contains(given)) {
        throw new RequestRejection(
            400,
            "unknown_join_key",
            "entities." + JsonText.clip(given),
            JsonText.clip(given),
            "entities."
                + JsonText.clip(given)
                + " is not a join key of the requested views (join keys: "
                + used
                + ")");
      }
    }
    int rows = request.rows();
    List<RowKey> keys = new ArrayList<>();
    Map<RowKey, Integer> index = new HashMap<>();
    int[][] keyIndex = new int[columns.views().size()][rows];
    for (int v = 0; v < columns.views().size(); v++) {
      ViewPlan plan = columns.views().get(v);
      List<String> joinKeys = plan.source().keyFields();
      List<String> parts = new ArrayList<>(joinKeys.size());
      for (int r = 0; r < rows; r++) {
        parts.clear();
        for (String joinKey : joinKeys) {
          parts.add(OnlineFeaturesRequest.entityText(entities.get(joinKey).get(r)));
        }
        RowKey key = new RowKey(plan, EntityKey.of(parts));
        Integer at = index.get(key);
        if (at == null) {
          at = keys.size();
          index.put(key, at);
          keys.add(key);
        }
        keyIndex[v][r] = at;
      }
    }
    RequestData data =
        onDemand == null || onDemand.isEmpty() ? null : RequestData.read(onDemand, request);
    return new OnlineQuery(request, columns, List.copyOf(keys), keyIndex, data);
  }

  /**
   * The on-demand values of entity row {@code row}, one per {@link OnDemandPlan#outputs()}, from
   * the stored inputs read for the row ({@code storedValue(inputIndex)}) and the request instant.
   */
  public Object[] onDemand(int row, java.util.function.IntFunction<Object> storedValue, long at) {
    OnDemandPlan plan = columns.onDemand();
    List<FeatureColumns.Column> inputs = columns.inputs();
    return plan.evaluate(
        ref -> {
          for (int i = 0; i < inputs.size(); i++) {
            if (plan.inputs().get(i).equals(ref)) {
              return storedValue.apply(i);
            }
          }
          return null;
        },
        name -> requestData.value(name, row),
        at);
  }

  /** Whether the answer has on-demand columns. */
  public boolean hasOnDemand() {
    return requestData != null;
  }

  public OnlineFeaturesRequest request() {
    return request;
  }

  public FeatureColumns columns() {
    return columns;
  }

  /** The distinct rows to read, each once. */
  public List<RowKey> keys() {
    return keys;
  }

  /** The index in {@link #keys()} of entity row {@code row} of view {@code view}. */
  public int keyIndex(int view, int row) {
    return keyIndex[view][row];
  }
}
