package io.freshet.gateway.online;

import io.freshet.aggregate.RequestTimeRule;
import io.freshet.online.EntityTiles;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.online.OnlineReader;
import io.freshet.online.OnlineRow;
import io.freshet.online.OnlineStoreUnavailableException;
import io.freshet.online.StoredTile;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Reads entities' features through the storage contract and judges them. Thread-safe and
 * non-blocking.
 *
 * <ul>
 *   <li>A window-end view: the entity's latest row ({@link OnlineKeys}, {@link OnlineCodec}) and
 *       the online store's clock, read atomically ({@link OnlineReader#rows}, one script per hash
 *       slot); the row is judged against the view's TTL at that instant ({@link
 *       FeatureStatus#atMicros}), the rule an as-served training set applies at a label instant,
 *       and the instant is the read's {@link RowRead#readMicros}. Its event timestamp stays the
 *       window end.
 *   <li>A request-time view ({@link ViewPlan#requestTime()}): the entity's tiles and the online
 *       store's clock, read atomically ({@link OnlineReader#tiles}); the value is {@link
 *       RequestTimeRule#valueAt} at {@code floorDiv(readMicros, 1000)}, the request instant in
 *       milliseconds, and its event timestamp that instant in microseconds ({@link
 *       OnlineFeatures#eventMicros}). No value (no tiles, or expired by the rule) is not found; a
 *       value is always PRESENT, never OUTSIDE_MAX_AGE: the rule already serves the empty window's
 *       values for the TTL after the last tile left every window, and not found after that.
 * </ul>
 */
public final class OnlineTableReader {
  private final OnlineReader store;
  private final Clock clock;

  /**
   * One rule per view version and thread: a rule holds a slice codec, which is not thread-safe; the
   * event loops are few and fixed.
   */
  private final ConcurrentMap<String, ThreadLocal<RequestTimeRule>> rules =
      new ConcurrentHashMap<>();

  /**
   * One codec per view version, by fingerprint: a codec is immutable and thread-safe, and building
   * one (its stored parts, its derivations) costs more than decoding a value.
   */
  private final ConcurrentMap<String, OnlineCodec> codecs = new ConcurrentHashMap<>();

  public OnlineTableReader(OnlineReader store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * The features of {@code entityKey} in the view (not found when there are none: never written, or
   * expired) and the request instant they hold at. Fails with {@link
   * OnlineStoreUnavailableException} when Redis cannot answer in time and with {@link
   * UndecodableOnlineValueException} on a corrupt value.
   */
  public CompletionStage<RowRead> read(ViewPlan plan, String entityKey) {
    return readAll(List.of(new RowKey(plan, entityKey)))
        .thenApply(
            reads -> {
              RowRead read = reads.get(0);
              if (read.undecodable() != null) {
                throw read.undecodable();
              }
              return read;
            });
  }

  /**
   * The features at {@code keys}, in their order, each with the request instant it holds at: the
   * rows of window-end views with one row read script per hash slot (one in all on one server), the
   * tiles of request-time views with one read script per key, all sent at once. A value that cannot
   * be decoded spoils only its own key ({@link RowRead#undecodable()}). Fails with {@link
   * OnlineStoreUnavailableException} when Redis cannot answer in time.
   */
  public CompletionStage<List<RowRead>> readAll(List<RowKey> keys) {
    String[] redisKeys = new String[keys.size()];
    List<String> rowKeys = new ArrayList<>(keys.size());
    List<String> tileKeys = new ArrayList<>();
    for (int i = 0; i < redisKeys.length; i++) {
      RowKey k = keys.get(i);
      redisKeys[i] = k.redisKey();
      (k.plan().requestTime() ? tileKeys : rowKeys).add(redisKeys[i]);
    }
    CompletionStage<List<OnlineRow>> rows = store.rows(rowKeys);
    CompletionStage<List<Object>> tiles = tilesEach(tileKeys);
    return rows.thenCombine(
        tiles,
        (values, entityTiles) -> {
          List<RowRead> reads = new ArrayList<>(keys.size());
          int row = 0;
          int tile = 0;
          for (int i = 0; i < redisKeys.length; i++) {
            RowKey k = keys.get(i);
            String redisKey = redisKeys[i];
            long at = RowRead.NO_INSTANT;
            try {
              OnlineFeatures found;
              if (k.plan().requestTime()) {
                Object read = entityTiles.get(tile++);
                if (read instanceof UndecodableOnlineValueException undecodable) {
                  throw undecodable;
                }
                at = ((EntityTiles) read).readMicros();
                found = valueAt(k.plan(), k.entityKey(), redisKey, (EntityTiles) read);
              } else {
                OnlineRow stored = values.get(row++);
                at = stored.readMicros();
                found =
                    stored.value() == null
                        ? null
                        : decode(k.plan(), k.entityKey(), redisKey, stored.value(), at);
              }
              reads.add(new RowRead(k, found, null, at));
            } catch (UndecodableOnlineValueException e) {
              reads.add(new RowRead(k, null, e, at));
            }
          }
          return reads;
        });
  }

  /**
   * The tiles at {@code keys}, each read on its own (all sent at once) so that a stored tile that
   * cannot be parsed spoils only its key: per key its {@link EntityTiles}, or the {@link
   * UndecodableOnlineValueException} saying why not. Any other failure fails the whole stage.
   */
  private CompletionStage<List<Object>> tilesEach(List<String> keys) {
    List<CompletableFuture<Object>> each = new ArrayList<>(keys.size());
    for (String key : keys) {
      each.add(
          store
              .tiles(List.of(key))
              .<Object>handle(
                  (read, failure) -> {
                    if (failure == null) {
                      return read.get(0);
                    }
                    Throwable cause =
                        failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause()
                            : failure;
                    if (cause instanceof IllegalArgumentException corrupt) {
                      return new UndecodableOnlineValueException(key, corrupt);
                    }
                    throw failure instanceof CompletionException c
                        ? c
                        : new CompletionException(failure);
                  })
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
        .thenApply(done -> each.stream().map(CompletableFuture::join).toList());
  }

  /**
   * The gateway's own clock, for the staleness of served values in the metrics; the status of a
   * value is judged at the online store's instant of its read, never by this clock.
   */
  public Clock clock() {
    return clock;
  }

  private OnlineFeatures decode(
      ViewPlan plan, String entityKey, String key, byte[] bytes, long readMicros) {
    FeatureRow row;
    try {
      row = codec(plan).decode(entityKey, bytes);
    } catch (IllegalArgumentException e) {
      throw new UndecodableOnlineValueException(key, e);
    }
    return new OnlineFeatures(
        plan, row, FeatureStatus.atMicros(row.featureTs(), plan.ttl(), readMicros));
  }

  /** The request-time value of the entity's tiles at their read instant, or null for none. */
  private OnlineFeatures valueAt(ViewPlan plan, String entityKey, String key, EntityTiles read) {
    if (read.tiles().isEmpty()) {
      return null;
    }
    List<Tile> tiles = new ArrayList<>(read.tiles().size());
    for (StoredTile t : read.tiles()) {
      try {
        tiles.add(new Tile(entityKey, t.start(), t.version(), t.payload()));
      } catch (IllegalArgumentException e) {
        throw new UndecodableOnlineValueException(key, e);
      }
    }
    FeatureRow row;
    try {
      row = rule(plan).valueAt(entityKey, tiles, Math.floorDiv(read.readMicros(), 1000L));
    } catch (RuntimeException e) {
      // a payload this view's aggregation code cannot read
      throw new UndecodableOnlineValueException(
          key, new IllegalArgumentException(e.getMessage(), e));
    }
    return row == null
        ? null
        : new OnlineFeatures(plan, row, FeatureStatus.PRESENT, read.readMicros());
  }

  private OnlineCodec codec(ViewPlan plan) {
    OnlineCodec codec = codecs.get(plan.fingerprint());
    return codec != null
        ? codec
        : codecs.computeIfAbsent(plan.fingerprint(), f -> new OnlineCodec(plan));
  }

  private RequestTimeRule rule(ViewPlan plan) {
    return rules
        .computeIfAbsent(
            plan.fingerprint(), k -> ThreadLocal.withInitial(() -> new RequestTimeRule(plan)))
        .get();
  }
}
