package io.freshet.gateway.online;

import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.online.OnlineReader;
import io.freshet.online.OnlineStoreUnavailableException;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Reads entities' latest rows through the storage contract ({@link OnlineKeys}, {@link
 * OnlineCodec}) and judges their age against the view's TTL. Thread-safe and non-blocking.
 */
public final class OnlineTableReader {
  private final OnlineReader store;
  private final Clock clock;

  public OnlineTableReader(OnlineReader store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * The latest row of {@code entityKey} in the view, or empty when the table has none (never
   * written, or expired by Redis). Fails with {@link OnlineStoreUnavailableException} when Redis
   * cannot answer in time and with {@link UndecodableOnlineValueException} on a corrupt value.
   */
  public CompletionStage<Optional<OnlineFeatures>> read(ViewPlan plan, String entityKey) {
    String key = OnlineKeys.key(plan, entityKey);
    return store
        .get(key)
        .thenApply(
            bytes ->
                bytes == null
                    ? Optional.empty()
                    : Optional.of(decode(plan, entityKey, key, bytes)));
  }

  /**
   * The rows at {@code keys}, in their order, read with one MGET. A value that cannot be decoded
   * spoils only its own row ({@link RowRead#undecodable()}). Fails with {@link
   * OnlineStoreUnavailableException} when Redis cannot answer in time.
   */
  public CompletionStage<List<RowRead>> readAll(List<RowKey> keys) {
    List<String> redisKeys = new ArrayList<>(keys.size());
    for (RowKey k : keys) {
      redisKeys.add(k.redisKey());
    }
    return store
        .mget(redisKeys)
        .thenApply(
            values -> {
              List<RowRead> reads = new ArrayList<>(keys.size());
              for (int i = 0; i < keys.size(); i++) {
                RowKey k = keys.get(i);
                byte[] bytes = values.get(i);
                if (bytes == null) {
                  reads.add(new RowRead(k, null, null));
                  continue;
                }
                try {
                  reads.add(
                      new RowRead(
                          k, decode(k.plan(), k.entityKey(), redisKeys.get(i), bytes), null));
                } catch (UndecodableOnlineValueException e) {
                  reads.add(new RowRead(k, null, e));
                }
              }
              return reads;
            });
  }

  /** The clock that judges rows' age, and the staleness of served values. */
  public Clock clock() {
    return clock;
  }

  private OnlineFeatures decode(ViewPlan plan, String entityKey, String key, byte[] bytes) {
    FeatureRow row;
    try {
      row = new OnlineCodec(plan).decode(entityKey, bytes);
    } catch (IllegalArgumentException e) {
      throw new UndecodableOnlineValueException(key, e);
    }
    return new OnlineFeatures(
        plan, row, FeatureStatus.of(row.featureTs(), plan.ttl(), clock.instant()));
  }
}
