package io.freshet.flink.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.jdbc.core.datastream.source.JdbcSource;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What {@code flink-connector-jdbc} 4.0.0-2.0's {@link JdbcSource} does on Flink 2.2.1 against a
 * real Postgres: a bounded read in batch mode returns every row once, and a read in streaming mode
 * that fails after a completed checkpoint and restarts from it returns every row at least once (the
 * split's row offset is checkpointed, so the restart skips what the checkpoint covered, and rows
 * read after the checkpoint come again). Table-source materialization relies on exactly this and
 * nothing more: its sinks write identical versions idempotently.
 */
class JdbcSourceOnFlinkTest {
  static final int ROWS = 20_000;

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  static String url;
  static final Queue<Long> SEEN = new ConcurrentLinkedQueue<>();
  static final AtomicBoolean FAILED = new AtomicBoolean();

  @BeforeAll
  static void table() throws Exception {
    url = TestPostgres.freshDatabase("jdbcsrc");
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (id bigint PRIMARY KEY, v text)");
      s.execute("INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, " + ROWS + ") g");
    }
  }

  static JdbcSource<Long> source() {
    return JdbcSource.<Long>builder()
        .setDBUrl(url)
        .setDriverName("org.postgresql.Driver")
        .setSql("SELECT id FROM t ORDER BY id")
        .setResultExtractor(rs -> rs.getLong(1))
        .setTypeInformation(Types.LONG)
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .build();
  }

  @Test
  void batch_read_returns_every_row_once() throws Exception {
    SEEN.clear();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    env.fromSource(source(), WatermarkStrategy.noWatermarks(), "jdbc").sinkTo(new Collect());
    env.execute("jdbc batch");
    List<Long> seen = new ArrayList<>(SEEN);
    assertThat(seen).hasSize(ROWS).doesNotHaveDuplicates();
  }

  @Test
  void streaming_read_restored_after_a_failure_returns_every_row_at_least_once() throws Exception {
    SEEN.clear();
    FAILED.set(false);
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
    conf.set(
        RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, java.time.Duration.ofMillis(10));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(1);
    env.enableCheckpointing(50);
    env.fromSource(source(), WatermarkStrategy.noWatermarks(), "jdbc")
        .map(new Slow())
        .sinkTo(new Collect());
    env.execute("jdbc streaming");
    assertThat(FAILED).isTrue();
    assertThat(new java.util.HashSet<>(SEEN)).hasSize(ROWS);
    assertThat(SEEN.size()).isLessThan(2 * ROWS);
  }

  /** Slows the read down so checkpoints complete mid-split, and fails once after one. */
  static final class Slow implements MapFunction<Long, Long>, CheckpointListener {
    private volatile boolean checkpointed;

    @Override
    public Long map(Long v) throws Exception {
      if (v % 200 == 0) {
        Thread.sleep(2);
      }
      if (checkpointed && !FAILED.getAndSet(true)) {
        throw new IllegalStateException("injected failure after a completed checkpoint");
      }
      return v;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      checkpointed = true;
    }
  }

  /** Records every row it receives, in this JVM. */
  static final class Collect implements Sink<Long> {
    @Override
    public SinkWriter<Long> createWriter(WriterInitContext context) {
      return new SinkWriter<>() {
        @Override
        public void write(Long element, Context context) {
          SEEN.add(element);
        }

        @Override
        public void flush(boolean endOfInput) {}

        @Override
        public void close() {}
      };
    }
  }
}
