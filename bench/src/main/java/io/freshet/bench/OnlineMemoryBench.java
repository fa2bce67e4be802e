package io.freshet.bench;

import io.freshet.aggregate.PartAggregator;
import io.freshet.aggregate.PartAggregators;
import io.freshet.aggregate.SliceCodec;
import io.freshet.aggregate.event.Event;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.examples.UserActivity;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.online.OnlineWriter;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Online memory: the same {@code user_activity} values for N entities in Freshet's layout (one
 * string per entity, {@link OnlineCodec}) and in Feast's (one hash per entity), measured with
 * {@code MEMORY USAGE key SAMPLES 0} and the change in {@code used_memory}.
 *
 * <p>Beside it, the request-time {@code user_activity_live} at steady state ({@link #requestTime}):
 * what an entity holds online once it has been active for longer than its longest window, which a
 * short streaming run cannot show (an entity there holds one or two tiles).
 */
public final class OnlineMemoryBench {
  private OnlineMemoryBench() {}

  static Map<String, Object> run(String redisUri, int entities) throws Exception {
    ViewPlan plan = ViewPlan.of(UserActivity.view());
    OnlineCodec codec = new OnlineCodec(plan);
    RedisClient client = RedisClient.create(redisUri);
    try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE)) {
      RedisAsyncCommands<byte[], byte[]> r = c.async();
      Map<String, Object> res = new LinkedHashMap<>();
      res.put("entities", entities);
      res.put("redisVersion", redisVersion(c));
      res.put("parts", plan.parts().stream().map(FeaturePart::name).toList());

      r.flushdb().get();
      long before = usedMemory(c);
      List<byte[]> keys = new ArrayList<>(entities);
      List<RedisFuture<?>> pending = new ArrayList<>();
      for (int i = 0; i < entities; i++) {
        FeatureRow row = row(plan, i);
        byte[] k = OnlineKeys.keyBytes(plan, row.entityKey());
        keys.add(k);
        pending.add(r.set(k, codec.encode(row)));
        drain(pending, 1000);
      }
      drain(pending, 0);
      long freshetUsed = usedMemory(c) - before;
      long freshetSum = memoryUsage(r, keys);
      int valueBytes = codec.encode(row(plan, 0)).length;

      r.flushdb().get();
      before = usedMemory(c);
      keys.clear();
      for (int i = 0; i < entities; i++) {
        FeatureRow row = row(plan, i);
        byte[] k = FeastLayout.key("freshet", "user_id", row.entityKey());
        keys.add(k);
        Map<byte[], byte[]> h = new LinkedHashMap<>();
        for (FeaturePart p : plan.parts()) {
          Object v = row.values()[p.index()];
          byte[] pv =
              switch (p.type()) {
                case INT64 -> FeastLayout.int64Value((Long) v);
                case FLOAT64 -> FeastLayout.doubleValue((Double) v);
                case STRING -> FeastLayout.stringValue((String) v);
                default -> throw new IllegalStateException("no Feast value for " + p.type());
              };
          h.put(FeastLayout.field(plan.name(), p.name()), pv);
        }
        h.put(FeastLayout.tsField(plan.name()), FeastLayout.timestamp(row.featureTs()));
        pending.add(r.hset(k, h));
        drain(pending, 1000);
      }
      drain(pending, 0);
      long feastUsed = usedMemory(c) - before;
      long feastSum = memoryUsage(r, keys);
      r.flushdb().get();

      Map<String, Object> f = new LinkedHashMap<>();
      f.put("bytesPerEntityMemoryUsage", (double) freshetSum / entities);
      f.put("bytesPerEntityUsedMemoryDelta", (double) freshetUsed / entities);
      f.put("valueBytes", valueBytes);
      f.put("keyExample", OnlineKeys.key(plan, "user_0"));
      res.put("freshet", f);
      Map<String, Object> fe = new LinkedHashMap<>();
      fe.put("bytesPerEntityMemoryUsage", (double) feastSum / entities);
      fe.put("bytesPerEntityUsedMemoryDelta", (double) feastUsed / entities);
      res.put("feast", fe);
      res.put("ratioFreshetOverFeast", (double) freshetSum / feastSum);
      res.put("requestTime", requestTime(redisUri, Math.min(entities, 10_000), 2));
      System.out.printf(
          "online memory: Freshet %.1f B/entity, Feast layout %.1f B/entity (MEMORY USAGE)%n",
          (double) freshetSum / entities, (double) feastSum / entities);
      return res;
    } finally {
      client.shutdown();
    }
  }

  /**
   * Request-time {@code user_activity_live} (1 h windows, 1 min tiles) at steady state: for each of
   * {@code entities} entities, tiles for the minutes of the last hour in which it was active, each
   * built by the job's decoder and aggregation code from {@code eventsPerMinute} generated events
   * and written through the online store's tile script ({@link OnlineWriter#writeTiles}, which
   * keeps only tiles a read can still select). Two profiles: active every minute (61 tiles: the
   * window and the open head tile) and active in 10 minutes of the hour.
   */
  static Map<String, Object> requestTime(String redisUri, int entities, int eventsPerMinute)
      throws Exception {
    ViewPlan plan = ViewPlan.of(UserActivity.liveView());
    EventDecoder decoder = new EventDecoder(plan);
    List<FeaturePart.Aggregated> aggregated = plan.aggregatedParts();
    @SuppressWarnings("unchecked")
    PartAggregator<Object, Object>[] aggregators = new PartAggregator[aggregated.size()];
    for (int i = 0; i < aggregators.length; i++) {
      aggregators[i] = PartAggregators.erased(aggregated.get(i).aggregation());
    }
    SliceCodec slices = new SliceCodec(aggregators);
    long tile = plan.tileMillis();
    int windowTiles = (int) (plan.maxWindowMillis() / tile);
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("view", plan.name());
    res.put("tileMillis", tile);
    res.put("maxWindowMillis", plan.maxWindowMillis());
    res.put("entities", entities);
    res.put("eventsPerActiveMinute", eventsPerMinute);
    RedisClient client = RedisClient.create(redisUri);
    try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
        OnlineWriter writer =
            OnlineWriter.create(plan, redisUri, OnlineClients.Settings.forTool())) {
      for (int activeMinutes : new int[] {windowTiles + 1, Math.min(10, windowTiles + 1)}) {
        c.sync().flushdb();
        long before = usedMemory(c);
        long now = System.currentTimeMillis();
        long head = Math.floorDiv(now, tile) * tile;
        List<Tile> batch = new ArrayList<>();
        List<byte[]> keys = new ArrayList<>(entities);
        long tiles = 0;
        long payloadBytes = 0;
        EventGen gen = new EventGen(7, 1);
        long seq = 0;
        for (int i = 0; i < entities; i++) {
          String key = "user_" + i;
          keys.add(OnlineKeys.keyBytes(plan, key));
          SplittableRandom rnd = new SplittableRandom(i * 131L + activeMinutes);
          // activeMinutes distinct minutes of the last windowTiles + 1, oldest first
          int[] minutes = new int[windowTiles + 1];
          for (int m = 0; m < minutes.length; m++) {
            minutes[m] = m;
          }
          for (int m = 0; m < activeMinutes; m++) {
            int j = m + rnd.nextInt(minutes.length - m);
            int swap = minutes[m];
            minutes[m] = minutes[j];
            minutes[j] = swap;
          }
          int[] active = Arrays.copyOf(minutes, activeMinutes);
          Arrays.sort(active);
          for (int m : active) {
            long start = head - (windowTiles - m) * tile;
            Object[] accs = new Object[aggregators.length];
            for (int e = 0; e < eventsPerMinute; e++) {
              EventGen.Activity a = gen.event(seq++);
              a.userId = key;
              a.ts = start + rnd.nextLong(tile);
              a.sessionId = key + "-" + (a.ts / 1_800_000L);
              Event ev = decoder.decode(a.toJson(), "bench").event();
              for (int p = 0; p < accs.length; p++) {
                accs[p] =
                    aggregators[p].add(
                        accs[p],
                        ev.numbers[p],
                        ev.texts == null ? null : ev.texts[p],
                        ev.timestamp);
              }
            }
            byte[] payload = slices.encode(accs);
            payloadBytes += payload.length;
            batch.add(new Tile(key, start, eventsPerMinute, payload));
            tiles++;
          }
          if (batch.size() >= 2_000) {
            writer.writeTiles(batch, 100);
            batch.clear();
          }
        }
        writer.writeTiles(batch, 100);
        long used = usedMemory(c) - before;
        long sum = memoryUsage(c.async(), keys);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("tilesPerEntity", (double) tiles / entities);
        f.put("payloadBytesPerTile", (double) payloadBytes / tiles);
        f.put("bytesPerEntityMemoryUsage", (double) sum / entities);
        f.put("bytesPerEntityUsedMemoryDelta", (double) used / entities);
        res.put(activeMinutes > windowTiles ? "activeEveryMinute" : "activeTenMinutes", f);
        System.out.printf(
            "online memory, request time: %.1f tiles, %.1f B/entity (MEMORY USAGE)%n",
            (double) tiles / entities, (double) sum / entities);
      }
      c.sync().flushdb();
      return res;
    } finally {
      client.shutdown();
    }
  }

  /** A plausible window result for entity {@code i}, the same for both layouts. */
  static FeatureRow row(ViewPlan plan, int i) {
    SplittableRandom rnd = new SplittableRandom(i * 31L + 7);
    long events = 1 + rnd.nextInt(30);
    long purchases = rnd.nextInt(4);
    double revenue = purchases == 0 ? 0 : Math.round(rnd.nextDouble(5, 400) * 100) / 100.0;
    Map<String, Object> byName = new LinkedHashMap<>();
    byName.put("event_count_1h", events);
    byName.put("purchase_count_1h", purchases);
    byName.put("revenue_1h", revenue);
    byName.put("session_count_1h", 1L + rnd.nextInt(4));
    byName.put("unique_products_1h", (long) rnd.nextInt(12));
    byName.put("last_platform", new String[] {"ios", "android", "web"}[rnd.nextInt(3)]);
    byName.put("conversion_rate_1h", (double) purchases / events);
    byName.put("avg_revenue_per_purchase_1h", purchases == 0 ? 0.0 : revenue / purchases);
    Object[] values = new Object[plan.parts().size()];
    for (FeaturePart p : plan.parts()) {
      Object v = byName.get(p.name());
      if (v == null) {
        throw new IllegalStateException("benchmark has no value for part " + p.name());
      }
      values[p.index()] = v;
    }
    return new FeatureRow("user_" + i, EventGen.BASE_MILLIS + 3_600_000L, values);
  }

  static void drain(List<RedisFuture<?>> pending, int keep) throws Exception {
    if (pending.size() > keep) {
      for (RedisFuture<?> f : pending) {
        f.get();
      }
      pending.clear();
    }
  }

  static long memoryUsage(RedisAsyncCommands<byte[], byte[]> r, List<byte[]> keys)
      throws Exception {
    long sum = 0;
    List<RedisFuture<Long>> fs = new ArrayList<>();
    for (byte[] k : keys) {
      fs.add(r.memoryUsage(k));
      if (fs.size() >= 1000) {
        for (var f : fs) {
          sum += f.get();
        }
        fs.clear();
      }
    }
    for (var f : fs) {
      sum += f.get();
    }
    return sum;
  }

  static long usedMemory(StatefulRedisConnection<byte[], byte[]> c) {
    return Long.parseLong(info(c, "memory", "used_memory"));
  }

  static String redisVersion(StatefulRedisConnection<byte[], byte[]> c) {
    return info(c, "server", "redis_version");
  }

  static String info(StatefulRedisConnection<byte[], byte[]> c, String section, String field) {
    for (String line : c.sync().info(section).split("\r?\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1).trim();
      }
    }
    throw new IllegalStateException("INFO " + section + " has no " + field);
  }
}
