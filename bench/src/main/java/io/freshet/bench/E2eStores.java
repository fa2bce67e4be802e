package io.freshet.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The servers of the end-to-end benchmarks: the in-process Kafka broker, the benchmark's own
 * Postgres database and Redis database, each reset before a run, and the Flink environment the
 * feature job runs in.
 */
final class E2eStores {
  /** The benchmark's own database; created on first use. */
  static final String PG_DATABASE =
      System.getProperty("freshet.bench.e2eDatabase", "freshet_bench_e2e");

  /** Postgres server (trust auth) holding {@link #PG_DATABASE}. */
  static final String PG_ADMIN_URL =
      System.getProperty(
          "freshet.bench.pgAdminUrl", "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres");

  /** The Redis database the end-to-end benchmarks flush and write (7). */
  static final String REDIS_URL =
      System.getProperty("freshet.bench.e2eRedis", "redis://127.0.0.1:6379/7");

  static final int PARTITIONS = 2;

  private E2eStores() {}

  /** Creates the benchmark database if missing, drops the Freshet schema in it, returns its URL. */
  static String freshPostgres() throws SQLException {
    BenchDatabases.createDatabase(PG_ADMIN_URL, PG_DATABASE);
    String url = BenchDatabases.databaseUrl(PG_ADMIN_URL, PG_DATABASE);
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS freshet CASCADE");
    }
    return url;
  }

  /** Flushes the benchmark's Redis database. */
  static void flushRedis() {
    RedisClient client = RedisClient.create(REDIS_URL);
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      c.sync().flushdb();
    } finally {
      client.shutdown();
    }
  }

  /** Deletes the topic if it exists and creates it empty with {@link #PARTITIONS} partitions. */
  static void freshTopic(String topic) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      if (admin.listTopics().names().get().contains(topic)) {
        admin.deleteTopics(List.of(topic)).all().get();
      }
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (true) {
        Set<String> names = admin.listTopics().names().get();
        if (!names.contains(topic)) {
          try {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get();
            return;
          } catch (java.util.concurrent.ExecutionException e) {
            // still being deleted
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("topic " + topic + " could not be recreated in 60 s");
        }
        Thread.sleep(200);
      }
    }
  }

  static KafkaProducer<String, String> producer(int lingerMillis) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, String.valueOf(lingerMillis));
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
    return new KafkaProducer<>(p);
  }

  /**
   * A local Flink environment as a deployment would configure it: RocksDB state, incremental
   * checkpoints at the given interval, exactly-once mode, parallelism 2.
   */
  static StreamExecutionEnvironment flink(Path checkpoints, long checkpointMillis, int restPort) {
    Map<String, String> c = new HashMap<>();
    c.put("state.backend.type", "rocksdb");
    c.put("execution.checkpointing.incremental", "true");
    c.put("execution.checkpointing.dir", checkpoints.toUri().toString());
    c.put("taskmanager.numberOfTaskSlots", String.valueOf(PARTITIONS));
    c.put("taskmanager.memory.managed.size", "512m");
    c.put("rest.port", String.valueOf(restPort));
    c.put("rest.bind-address", "127.0.0.1");
    c.put("web.checkpoints.history", "1000");
    // extra Flink options for experiments, e.g. -Dfreshet.bench.flinkConf=k1=v1;k2=v2
    for (String kv : System.getProperty("freshet.bench.flinkConf", "").split(";")) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        c.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
      }
    }
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(PARTITIONS, Configuration.fromMap(c));
    env.enableCheckpointing(
        checkpointMillis, org.apache.flink.streaming.api.CheckpointingMode.EXACTLY_ONCE);
    return env;
  }

  static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * The job's checkpoint statistics from the MiniCluster's REST API: completed and failed counts,
   * and the end-to-end duration of the completed ones (min, median, p99, max ms); empty when the
   * API does not answer.
   */
  static Map<String, Object> checkpointStats(int restPort, JobID job) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    try {
      var http = java.net.http.HttpClient.newHttpClient();
      var r =
          http.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create(
                          "http://127.0.0.1:" + restPort + "/jobs/" + job + "/checkpoints"))
                  .timeout(java.time.Duration.ofSeconds(5))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return m;
      }
      var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
      var counts = root.get("counts");
      m.put("completed", counts.get("completed").asLong());
      m.put("failed", counts.get("failed").asLong());
      var d = root.get("summary").get("end_to_end_duration");
      m.put("durationMinMillis", d.get("min").asLong());
      m.put("durationMedianMillis", d.path("p50").asDouble());
      m.put("durationP99Millis", d.path("p99").asDouble());
      m.put("durationMaxMillis", d.get("max").asLong());
    } catch (Exception e) {
      // the job or the cluster is gone; keep what was read before
    }
    return m;
  }

  static Path tempDir(String prefix) throws java.io.IOException {
    return Files.createTempDirectory(prefix);
  }

  static long count(String pgUrl, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
