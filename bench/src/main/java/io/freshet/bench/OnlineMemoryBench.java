package io.freshet.bench;

import io.freshet.examples.UserActivity;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Online memory: the same {@code user_activity} values for N entities in Freshet's layout (one
 * string per entity, {@link OnlineCodec}) and in Feast's (one hash per entity), measured with
 * {@code MEMORY USAGE key SAMPLES 0} and the change in {@code used_memory}.
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
      System.out.printf(
          "online memory: Freshet %.1f B/entity, Feast layout %.1f B/entity (MEMORY USAGE)%n",
          (double) freshetSum / entities, (double) feastSum / entities);
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
