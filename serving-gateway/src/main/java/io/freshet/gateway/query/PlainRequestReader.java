package io.freshet.gateway.query;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.freshet.gateway.GatewayLimits;
import io.freshet.gateway.catalog.FeatureRef;
import io.freshet.plan.Catalog;
import java.io.IOException;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Reads a {@code POST /get-online-features} body of the plain, valid shape with a streaming parser,
 * without building a JSON tree: the same {@link OnlineFeaturesRequest} that {@link
 * OnlineFeaturesRequest#parse} makes of that body. Anything else (a fault of any kind, a null
 * field, a number that is not a 32- or 64-bit integer) makes {@link #read} return null, and the
 * caller parses the body as a tree as before, so every malformed request is answered exactly as
 * before.
 *
 * <p>A {@code features} list is parsed and checked once per distinct text: the lists are kept, byte
 * for byte, in a bounded map, and each keeps the columns it was last resolved to ({@link
 * FeatureColumns#ofFeatures}) with the catalog and naming they were resolved under, so a client
 * that repeats its list neither parses nor resolves it again. Thread-safe.
 */
public final class PlainRequestReader {
  /** Distinct feature lists kept; past it the map starts over. */
  static final int MAX_LISTS = 1024;

  /** Feature lists longer than this (in bytes) are parsed each time and not kept. */
  static final int MAX_LIST_BYTES = 64 << 10;

  private final JsonFactory factory;
  private final GatewayLimits limits;
  private final ConcurrentMap<ListText, CachedRefs> lists = new ConcurrentHashMap<>();

  /**
   * @param factory the factory of the tree path's reader: its parsers must refuse repeated field
   *     names and apply the same read constraints
   */
  public PlainRequestReader(JsonFactory factory, GatewayLimits limits) {
    this.factory = factory;
    this.limits = limits;
  }

  /** The request in {@code body}, or null when the body is not of the plain, valid shape. */
  public OnlineFeaturesRequest read(byte[] body) {
    try (JsonParser p = factory.createParser(body)) {
      p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
      return read(p, body);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private OnlineFeaturesRequest read(JsonParser p, byte[] body) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      return null;
    }
    List<FeatureRef> features = null;
    String service = null;
    boolean fullNames = false;
    Map<String, List<JsonNode>> entities = null;
    int rows = -1;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      if (t != JsonToken.FIELD_NAME) {
        return null;
      }
      String name = p.currentName();
      JsonToken value = p.nextToken();
      switch (name) {
        case "features" -> {
          if (value != JsonToken.START_ARRAY) {
            return null;
          }
          features = features(p, body);
          if (features == null) {
            return null;
          }
        }
        case "feature_service" -> {
          if (value != JsonToken.VALUE_STRING || p.getText().isBlank()) {
            return null;
          }
          service = p.getText();
        }
        case "full_feature_names" -> {
          if (value != JsonToken.VALUE_TRUE && value != JsonToken.VALUE_FALSE) {
            return null;
          }
          fullNames = value == JsonToken.VALUE_TRUE;
        }
        case "entities" -> {
          if (value != JsonToken.START_OBJECT) {
            return null;
          }
          entities = new LinkedHashMap<>();
          rows = entities(p, entities);
          if (rows < 0) {
            return null;
          }
        }
        default -> {
          return null;
        }
      }
    }
    if (p.nextToken() != null || (features == null) == (service == null) || entities == null) {
      return null;
    }
    return new OnlineFeaturesRequest(features, service, entities, fullNames, rows);
  }

  /** The checked list the parser is at the start of, or null; leaves the parser at its end. */
  private List<FeatureRef> features(JsonParser p, byte[] body) throws IOException {
    long start = p.currentTokenLocation().getByteOffset();
    p.skipChildren();
    long end = p.currentTokenLocation().getByteOffset() + 1;
    if (start < 0 || end <= start || end > body.length) {
      return null;
    }
    int from = (int) start;
    int to = (int) end;
    if (to - from > MAX_LIST_BYTES) {
      List<FeatureRef> refs = parseFeatures(body, from, to);
      return refs == null ? null : List.copyOf(refs);
    }
    ListText key = new ListText(Arrays.copyOfRange(body, from, to));
    CachedRefs cached = lists.get(key);
    if (cached == null) {
      List<FeatureRef> refs = parseFeatures(body, from, to);
      if (refs == null) {
        return null;
      }
      if (lists.size() >= MAX_LISTS) {
        lists.clear();
      }
      cached = new CachedRefs(refs);
      lists.put(key, cached);
    }
    return cached.size() > limits.maxFeatures() ? null : cached;
  }

  /** Parses the list at {@code body[from, to)} as the tree path checks it, or null. */
  private List<FeatureRef> parseFeatures(byte[] body, int from, int to) throws IOException {
    try (JsonParser p = factory.createParser(body, from, to - from)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        return null;
      }
      List<FeatureRef> refs = new ArrayList<>();
      Set<FeatureRef> seen = new HashSet<>();
      for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
        if (t != JsonToken.VALUE_STRING || refs.size() >= limits.maxFeatures()) {
          return null;
        }
        FeatureRef ref;
        try {
          ref = FeatureRef.parse(p.getText());
        } catch (IllegalArgumentException e) {
          return null;
        }
        if (!seen.add(ref)) {
          return null;
        }
        refs.add(ref);
      }
      if (p.nextToken() != null || refs.isEmpty()) {
        return null;
      }
      return refs;
    }
  }

  /**
   * Fills {@code out} with the entity lists the parser is at the start of; returns the number of
   * rows, or -1 when they are not of the plain, valid shape.
   */
  private int entities(JsonParser p, Map<String, List<JsonNode>> out) throws IOException {
    int rows = -1;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      if (t != JsonToken.FIELD_NAME) {
        return -1;
      }
      String key = p.currentName();
      if (p.nextToken() != JsonToken.START_ARRAY) {
        return -1;
      }
      List<JsonNode> values = new ArrayList<>(rows > 0 ? rows : 4);
      for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
        if (values.size() >= limits.maxEntities()) {
          return -1;
        }
        JsonNode node = entityValue(p, v);
        if (node == null) {
          return -1;
        }
        values.add(node);
      }
      if (values.isEmpty() || (rows >= 0 && values.size() != rows)) {
        return -1;
      }
      rows = values.size();
      out.put(key, List.copyOf(values));
    }
    return out.isEmpty() ? -1 : rows;
  }

  /** The node the tree path makes of an entity value it accepts, or null. */
  private static JsonNode entityValue(JsonParser p, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_STRING) {
      String s = p.getText();
      return s.isEmpty() || JsonText.loneSurrogateAt(s) >= 0 ? null : TextNode.valueOf(s);
    }
    if (t == JsonToken.VALUE_NUMBER_INT) {
      return switch (p.getNumberType()) {
        case INT -> IntNode.valueOf(p.getIntValue());
        case LONG -> LongNode.valueOf(p.getLongValue());
        default -> null;
      };
    }
    return null;
  }

  /** The resolved columns of a kept list, if it was last resolved under this catalog and naming. */
  static FeatureColumns resolved(List<FeatureRef> refs, Catalog catalog, boolean fullNames) {
    if (refs instanceof CachedRefs cached) {
      Resolved r = cached.resolved;
      if (r != null && r.catalog == catalog && r.fullNames == fullNames) {
        return r.columns;
      }
    }
    return null;
  }

  /** Remembers the columns a kept list resolved to; other lists are not kept. */
  static void remember(
      List<FeatureRef> refs, Catalog catalog, boolean fullNames, FeatureColumns columns) {
    if (refs instanceof CachedRefs cached) {
      cached.resolved = new Resolved(catalog, fullNames, columns);
    }
  }

  private record Resolved(Catalog catalog, boolean fullNames, FeatureColumns columns) {}

  /** A kept, immutable feature list and the columns it last resolved to. */
  private static final class CachedRefs extends AbstractList<FeatureRef> implements RandomAccess {
    private final FeatureRef[] refs;
    private volatile Resolved resolved;

    CachedRefs(List<FeatureRef> refs) {
      this.refs = refs.toArray(FeatureRef[]::new);
    }

    @Override
    public FeatureRef get(int index) {
      return refs[index];
    }

    @Override
    public int size() {
      return refs.length;
    }
  }

  /** The bytes of a features list, compared by content. */
  private static final class ListText {
    private final byte[] bytes;
    private final int hash;

    ListText(byte[] bytes) {
      this.bytes = bytes;
      this.hash = Arrays.hashCode(bytes);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ListText other && hash == other.hash && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
