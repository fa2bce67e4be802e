package io.freshet.bench;

import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.Event;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.dsl.FeatureType;
import io.freshet.offline.OfflineTable;
import io.freshet.online.NewestWinsScript;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The physical baseline of the end-to-end benchmark: the cheapest program that does the same I/O as
 * the Freshet job, with no Flink, no windows, no state and no exactly-once bookkeeping beyond
 * committing transactions. It reads the same pre-produced topic from the beginning (one plain
 * {@link KafkaConsumer} per partition, each on its own thread: as many as the job's parallelism),
 * decodes every record with the product's own {@link EventDecoder}, and writes exactly as many
 * offline rows and online values as the Freshet run committed:
 *
 * <ul>
 *   <li>Rows and values are spread evenly over the events: partition p, holding n_p of the N
 *       events, gets R_p of the R offline rows (and K_p of the K online values) in proportion, and
 *       its j-th event emits floor((j+1) R_p / n_p) − floor(j R_p / n_p) rows (the same rule for
 *       values), so the totals are exactly R and K.
 *   <li>An offline row is the event's entity with one value per part of the view, taken from the
 *       decoded event (counts 1 or 0, the revenue, the platform; the derived ratios 0), in a twin
 *       of the view's offline table ({@link OfflineTable#createStatements()} in the schema {@value
 *       #SCHEMA}, same columns and indexes), written with {@code COPY} (pgjdbc's {@code
 *       CopyManager}, text format) in as many transactions per thread as the Freshet run had
 *       checkpoints with rows. {@code feature_ts} is a fixed instant plus the row's sequence number
 *       in milliseconds, so no two rows collide on the current-version index.
 *   <li>An online value is a plain {@code SET key value PXAT expiry} (Lettuce async, commands
 *       flushed in pipelined batches) of the row encoded by {@link OnlineCodec} followed by the
 *       {@value NewestWinsScript#STAMP_BYTES}-byte stamp, as the online table stores it; the k-th
 *       value goes to the entity {@code user_<k>}, so K values make K keys.
 * </ul>
 *
 * <p>The rate is events / wall time from the first poll to the last transaction committed and every
 * {@code SET} acknowledged; CPU is this process's, as for the Freshet run.
 */
final class PhysicalBaseline {
  /** The schema of the twin offline table. */
  static final String SCHEMA = "freshet_baseline";

  private static final int REDIS_FLUSH_EVERY = 1_000;
  private static final int REDIS_AWAIT_EVERY = 20_000;
  private static final int COPY_CHUNK_CHARS = 64 * 1024;

  /** What the Freshet run wrote, to be written again. */
  record Target(long offlineRows, long onlineKeys, long transactions) {}

  private PhysicalBaseline() {}

  static Map<String, Object> run(ViewPlan plan, String topic, Target target, String consumerGroup)
      throws Exception {
    String pgUrl = twinTable(plan);
    E2eStores.flushRedis();
    List<TopicPartition> partitions = new ArrayList<>();
    Map<TopicPartition, Long> begin;
    Map<TopicPartition, Long> end;
    try (KafkaConsumer<byte[], byte[]> c = consumer(consumerGroup)) {
      c.partitionsFor(topic).forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
      partitions.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
      begin = c.beginningOffsets(partitions);
      end = c.endOffsets(partitions);
    }
    long events = 0;
    for (TopicPartition tp : partitions) {
      events += end.get(tp) - begin.get(tp);
    }
    int n = partitions.size();
    List<Worker> workers = new ArrayList<>();
    long before = 0;
    for (int i = 0; i < n; i++) {
      TopicPartition tp = partitions.get(i);
      long count = end.get(tp) - begin.get(tp);
      workers.add(
          new Worker(
              plan,
              pgUrl,
              consumerGroup,
              tp,
              begin.get(tp),
              count,
              share(target.offlineRows(), before, count, events),
              share(target.onlineKeys(), before, count, events),
              Math.max(1, target.transactions()),
              i,
              n));
      before += count;
    }
    CountDownLatch ready = new CountDownLatch(n);
    CountDownLatch go = new CountDownLatch(1);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (Worker w : workers) {
      Thread t =
          new Thread(
              () -> {
                try {
                  w.open();
                  ready.countDown();
                  go.await();
                  w.consume();
                } catch (Throwable e) {
                  failed.compareAndSet(null, e);
                  ready.countDown();
                } finally {
                  w.close();
                }
              },
              "physical-baseline-" + w.tp);
      threads.add(t);
      t.start();
    }
    ready.await();
    long cpu0 = EndToEndBench.processCpuNanos();
    long t0 = System.nanoTime();
    go.countDown();
    for (Thread t : threads) {
      t.join();
    }
    long wallNanos = System.nanoTime() - t0;
    double cpuSeconds = (EndToEndBench.processCpuNanos() - cpu0) / 1e9;
    if (failed.get() != null) {
      throw new IllegalStateException("the physical baseline failed", failed.get());
    }
    long rows = 0;
    long values = 0;
    long rejected = 0;
    long transactions = 0;
    for (Worker w : workers) {
      rows += w.rowsWritten;
      values += w.valuesWritten;
      rejected += w.rejected;
      transactions += w.transactions;
    }
    long tableRows = E2eStores.count(pgUrl, "SELECT count(*) FROM " + qualifiedName(plan));
    long keys = EndToEndBench.onlineKeys(plan);
    if (tableRows != target.offlineRows() || keys != target.onlineKeys()) {
      throw new IllegalStateException(
          "the physical baseline wrote "
              + tableRows
              + " offline rows and "
              + keys
              + " online keys, the Freshet run "
              + target.offlineRows()
              + " and "
              + target.onlineKeys());
    }
    Map<String, Object> run = new LinkedHashMap<>();
    run.put(
        "program",
        n
            + " KafkaConsumers (one per partition, one thread each), EventDecoder, COPY into a twin"
            + " offline table in transactions, pipelined Redis SET");
    run.put(
        "rule",
        "rows and values spread evenly over each partition's events in proportion to its events;"
            + " the k-th online value goes to user_<k>");
    run.put("events", events);
    run.put("rejected", rejected);
    run.put("wallMillis", wallNanos / 1_000_000);
    run.put("eventsPerSecond", events * 1e9 / wallNanos);
    run.put("processCpuSeconds", cpuSeconds);
    run.put("eventsPerProcessCpuSecond", events / cpuSeconds);
    run.put("offlineRows", rows);
    run.put("onlineValues", values);
    run.put("onlineKeys", keys);
    run.put("transactions", transactions);
    run.put("load1", Machine.load1());
    return run;
  }

  /** Of {@code total} spread over {@code all} items in proportion, the share of [from, from+n). */
  static long share(long total, long from, long n, long all) {
    if (all == 0) {
      return 0;
    }
    return Math.floorDiv(Math.multiplyExact(total, from + n), all)
        - Math.floorDiv(Math.multiplyExact(total, from), all);
  }

  /** floor((j+1) * total / n) − floor(j * total / n): what the j-th of n items emits. */
  static long emitted(long j, long total, long n) {
    return Math.floorDiv(Math.multiplyExact(j + 1, total), n)
        - Math.floorDiv(Math.multiplyExact(j, total), n);
  }

  static String qualifiedName(ViewPlan plan) {
    return SCHEMA + ".\"" + OfflineTable.of(plan).tableName() + "\"";
  }

  /** Drops and recreates the twin of the view's offline table; returns the database URL. */
  static String twinTable(ViewPlan plan) throws Exception {
    BenchDatabases.createDatabase(E2eStores.PG_ADMIN_URL, E2eStores.PG_DATABASE);
    String url = BenchDatabases.databaseUrl(E2eStores.PG_ADMIN_URL, E2eStores.PG_DATABASE);
    OfflineTable table = OfflineTable.of(plan);
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
      for (String ddl : table.createStatements()) {
        s.execute(
            ddl.replace(table.qualifiedName(), qualifiedName(plan))
                .replace("SCHEMA IF NOT EXISTS " + OfflineTable.SCHEMA, "SCHEMA " + SCHEMA));
      }
    }
    return url;
  }

  static KafkaConsumer<byte[], byte[]> consumer(String group) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return new KafkaConsumer<>(p);
  }

  /** One partition: its consumer, its Postgres connection, its Redis connection. */
  private static final class Worker {
    final ViewPlan plan;
    final String pgUrl;
    final String group;
    final TopicPartition tp;
    final long beginOffset;
    final long events;
    final long rows;
    final long values;
    final long rowsPerTransaction;
    final int partitionIndex;
    final int partitions;
    final EventDecoder decoder;
    final OnlineCodec codec;
    final List<FeaturePart> parts;
    final int[] aggregatedIndex;
    final long rowTsBase;
    final String copySql;

    KafkaConsumer<byte[], byte[]> consumer;
    Connection pg;
    RedisClient redisClient;
    StatefulRedisConnection<byte[], byte[]> redis;
    RedisAsyncCommands<byte[], byte[]> async;
    CopyIn copy;
    final StringBuilder buf = new StringBuilder(COPY_CHUNK_CHARS + 1024);
    final List<RedisFuture<String>> pending = new ArrayList<>();
    long rowsWritten;
    long rowsInTransaction;
    long valuesWritten;
    long rejected;
    long transactions;
    String visibleAt;

    Worker(
        ViewPlan plan,
        String pgUrl,
        String group,
        TopicPartition tp,
        long beginOffset,
        long events,
        long rows,
        long values,
        long transactions,
        int partitionIndex,
        int partitions) {
      this.plan = plan;
      this.pgUrl = pgUrl;
      this.group = group;
      this.tp = tp;
      this.beginOffset = beginOffset;
      this.events = events;
      this.rows = rows;
      this.values = values;
      this.rowsPerTransaction = Math.max(1, (rows + transactions - 1) / transactions);
      this.partitionIndex = partitionIndex;
      this.partitions = partitions;
      this.decoder = new EventDecoder(plan);
      this.codec = new OnlineCodec(plan);
      this.parts = plan.parts();
      this.aggregatedIndex = new int[parts.size()];
      java.util.Arrays.fill(aggregatedIndex, -1);
      List<FeaturePart.Aggregated> aggregated = plan.aggregatedParts();
      for (int i = 0; i < aggregated.size(); i++) {
        aggregatedIndex[aggregated.get(i).index()] = i;
      }
      this.rowTsBase = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
      StringBuilder cols = new StringBuilder("entity_key, feature_ts");
      for (FeaturePart p : parts) {
        cols.append(", \"").append(p.name()).append('"');
      }
      this.copySql =
          "COPY " + qualifiedName(plan) + " (" + cols + ", visible_at) FROM STDIN (FORMAT text)";
    }

    void open() throws Exception {
      consumer = consumer(group);
      consumer.assign(List.of(tp));
      consumer.seek(tp, beginOffset);
      pg = DriverManager.getConnection(pgUrl);
      pg.setAutoCommit(false);
      redisClient = RedisClient.create(E2eStores.REDIS_URL);
      redis = redisClient.connect(ByteArrayCodec.INSTANCE);
      redis.setAutoFlushCommands(false);
      async = redis.async();
    }

    void consume() throws Exception {
      long j = 0;
      long ttlMillis = plan.ttl().toMillis();
      while (j < events) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          String origin = r.topic() + "/" + r.partition() + "@" + r.offset();
          Decoded d = decoder.decode(r.value(), origin);
          if (!d.isOk()) {
            rejected++;
            j++;
            continue;
          }
          Event e = d.event();
          for (long k = emitted(j, rows, events); k > 0; k--) {
            long seq = rowsWritten * partitions + partitionIndex;
            writeRow(e.key, rowTsBase + seq, e);
          }
          for (long k = emitted(j, values, events); k > 0; k--) {
            long seq = valuesWritten * partitions + partitionIndex;
            long featureTs = Math.floorDiv(e.timestamp, 900_000L) * 900_000L + 900_000L;
            byte[] row = codec.encode(new FeatureRow("user_" + seq, featureTs, values(e)));
            byte[] stored = new byte[row.length + NewestWinsScript.STAMP_BYTES];
            System.arraycopy(row, 0, stored, 0, row.length);
            long stamp = System.currentTimeMillis() * 1000;
            for (int b = 0; b < 8; b++) {
              stored[row.length + b] = (byte) (stamp >>> (56 - 8 * b));
            }
            pending.add(
                async.set(
                    OnlineKeys.keyBytes(plan, "user_" + seq),
                    stored,
                    SetArgs.Builder.pxAt(System.currentTimeMillis() + ttlMillis)));
            valuesWritten++;
            if (pending.size() % REDIS_FLUSH_EVERY == 0) {
              redis.flushCommands();
            }
            if (pending.size() >= REDIS_AWAIT_EVERY) {
              awaitRedis();
            }
          }
          j++;
        }
      }
      commit();
      awaitRedis();
    }

    private Object[] values(Event e) {
      Object[] out = new Object[parts.size()];
      for (FeaturePart p : parts) {
        int a = aggregatedIndex[p.index()];
        double number = a < 0 ? 0 : e.numbers[a];
        String text = a < 0 || e.texts == null ? null : e.texts[a];
        out[p.index()] =
            switch (p.type()) {
              case INT64 -> text != null ? 1L : Double.isNaN(number) ? 0L : (long) number;
              case FLOAT64 -> Double.isNaN(number) ? 0.0 : number;
              case STRING -> text;
              case STRING_LIST -> text == null ? List.of() : List.of(text);
            };
      }
      return out;
    }

    private void writeRow(String key, long featureTs, Event e) throws Exception {
      if (copy == null) {
        copy = pg.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
        visibleAt = Instant.now().toString();
      }
      escape(key);
      buf.append('\t').append(Instant.ofEpochMilli(featureTs));
      Object[] v = values(e);
      for (FeaturePart p : parts) {
        buf.append('\t');
        Object x = v[p.index()];
        if (x == null) {
          buf.append("\\N");
        } else if (p.type() == FeatureType.STRING_LIST) {
          StringBuilder lit = new StringBuilder("{");
          for (Object s : (List<?>) x) {
            lit.append(lit.length() > 1 ? "," : "").append('"').append(s).append('"');
          }
          escape(lit.append('}').toString());
        } else if (x instanceof String s) {
          escape(s);
        } else {
          buf.append(x);
        }
      }
      buf.append('\t').append(visibleAt).append('\n');
      rowsWritten++;
      rowsInTransaction++;
      if (buf.length() >= COPY_CHUNK_CHARS) {
        flushCopy();
      }
      if (rowsInTransaction >= rowsPerTransaction) {
        commit();
      }
    }

    private void escape(String s) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '\\' -> buf.append("\\\\");
          case '\t' -> buf.append("\\t");
          case '\n' -> buf.append("\\n");
          case '\r' -> buf.append("\\r");
          default -> buf.append(c);
        }
      }
    }

    private void flushCopy() throws Exception {
      byte[] bytes = buf.toString().getBytes(StandardCharsets.UTF_8);
      copy.writeToCopy(bytes, 0, bytes.length);
      buf.setLength(0);
    }

    private void commit() throws Exception {
      if (copy == null) {
        return;
      }
      flushCopy();
      copy.endCopy();
      copy = null;
      pg.commit();
      transactions++;
      rowsInTransaction = 0;
    }

    private void awaitRedis() {
      redis.flushCommands();
      if (!pending.isEmpty()
          && !LettuceFutures.awaitAll(
              60, TimeUnit.SECONDS, pending.toArray(new RedisFuture<?>[0]))) {
        throw new IllegalStateException("Redis did not acknowledge SETs within 60 s");
      }
      for (RedisFuture<String> f : pending) {
        if (f.getError() != null) {
          throw new IllegalStateException("Redis SET failed: " + f.getError());
        }
      }
      pending.clear();
    }

    void close() {
      try {
        if (consumer != null) {
          consumer.close();
        }
        if (copy != null) {
          copy.cancelCopy();
        }
        if (pg != null) {
          pg.close();
        }
      } catch (Exception e) {
        // closing after a failure; the failure is reported
      }
      if (redis != null) {
        redis.close();
      }
      if (redisClient != null) {
        redisClient.shutdown();
      }
    }
  }
}
