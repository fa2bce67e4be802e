package io.freshet.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.flink.compile.FeatureJobCompiler;
import io.freshet.flink.compile.JobSettings;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestKafka;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * What the zero-skew tests share ({@link RequestTimeServingIT}, {@link WindowEndServingIT}): the
 * streaming job as users run it, the training set's rows read back, and values and instants in the
 * exact form both sides must agree on.
 */
final class ServedAnswers {
  private ServedAnswers() {}

  /** The view's streaming job, exactly once, 1 s checkpoints, parallelism 2, from the earliest. */
  static JobClient startJob(
      ViewPlan plan, String groupId, String jobName, String pgUrl, String redisUrl)
      throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    env.enableCheckpointing(1000, CheckpointingMode.EXACTLY_ONCE);
    JobSettings settings =
        new JobSettings(
            TestKafka.bootstrapServers(),
            groupId,
            JobSettings.StartingOffsets.EARLIEST,
            pgUrl,
            redisUrl,
            1000,
            5000);
    FeatureJobCompiler.compile(env, List.of(plan), settings);
    return env.executeAsync(jobName);
  }

  /** A training set's rows in answer order: the user, then every feature of the view, typed. */
  static List<Object[]> readOutput(ViewPlan plan, String pgUrl, String table) throws Exception {
    List<Object[]> rows = new ArrayList<>();
    StringBuilder columns = new StringBuilder("user_id");
    for (FeaturePart p : plan.parts()) {
      columns.append(", \"").append(p.name()).append('"');
    }
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT " + columns + " FROM public." + table + " ORDER BY answer::int")) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        Object[] row = new Object[n];
        for (int i = 0; i < n; i++) {
          row[i] = rs.getObject(i + 1);
        }
        rows.add(row);
      }
    }
    return rows;
  }

  /**
   * A value as both sides must agree on it exactly: an INT64 as its long, a FLOAT64 as the exact
   * bits of its double (the gateway's JSON number and Postgres' double precision both round-trip a
   * double), a string as itself, null as null.
   */
  static String normal(FeaturePart part, Object value) {
    if (value == null || (value instanceof JsonNode n && n.isNull())) {
      return null;
    }
    return switch (part.type()) {
      case INT64 ->
          Long.toString(value instanceof JsonNode n ? n.longValue() : ((Number) value).longValue());
      case FLOAT64 ->
          Long.toHexString(
              Double.doubleToLongBits(
                  value instanceof JsonNode n ? n.doubleValue() : ((Number) value).doubleValue()));
      default -> value instanceof JsonNode n ? n.textValue() : value.toString();
    };
  }

  /** An ISO-8601 instant in epoch microseconds. */
  static long micros(String instant) {
    return micros(Instant.parse(instant));
  }

  static long micros(Instant i) {
    return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1000);
  }
}
