package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.examples.UserActivity;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code training-set} writes a Parquet file for an output named {@code *.parquet}. */
class TrainingSetCommandTest {
  private static final List<String> USERS = List.of("u1", "u2", "u3");
  private static final ViewPlan PLAN = ViewPlan.of(UserActivity.view());
  private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;
  private String pgUrl;
  private Instant windowEnd;

  @BeforeEach
  void fillTheOfflineTable() throws Exception {
    pgUrl = TestPostgres.freshDatabase("cli_training");
    OfflineTable table = OfflineTable.of(PLAN);
    windowEnd = Instant.now().truncatedTo(ChronoUnit.HOURS);
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement()) {
      for (String ddl : table.createStatements()) {
        s.execute(ddl);
      }
      StringBuilder cols = new StringBuilder("entity_key, feature_ts");
      StringBuilder marks = new StringBuilder("?, ?");
      for (String col : table.featureColumns()) {
        cols.append(", \"").append(col).append('"');
        marks.append(", ?");
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO " + table.qualifiedName() + " (" + cols + ") VALUES (" + marks + ")")) {
        for (String user : USERS) {
          ps.setString(1, user);
          ps.setTimestamp(2, new Timestamp(windowEnd.toEpochMilli()));
          for (int i = 0; i < PLAN.parts().size(); i++) {
            ps.setObject(
                3 + i,
                switch (PLAN.parts().get(i).type()) {
                  case INT64 -> (long) i + 1;
                  case FLOAT64 -> i + 0.5;
                  case STRING -> "web";
                  case STRING_LIST -> c.createArrayOf("text", new Object[] {"s"});
                });
          }
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
  }

  @Test
  void an_output_named_parquet_is_written_as_parquet_and_rebuilds_by_id() throws Exception {
    Path labels = dir.resolve("labels.csv");
    StringBuilder csv = new StringBuilder("user_id,event_timestamp,churned\n");
    for (String user : List.of("u1", "u2", "u3", "u9")) {
      csv.append(user).append(',').append(windowEnd.plus(Duration.ofMinutes(20))).append(",1\n");
    }
    Files.writeString(labels, csv);
    Path output = dir.resolve("train.parquet");

    Cli.Result built =
        Cli.run(
            "training-set",
            "--labels",
            labels.toString(),
            "--features",
            "user_activity:event_count_1h,user_activity:last_platform",
            "--output",
            output.toString(),
            "--pg-url",
            pgUrl);
    assertThat(built.exitCode()).as(built.toString()).isZero();
    assertThat(built.out()).contains("built: 4 rows written to " + output);
    assertThat(built.out()).contains("  semantics final");
    byte[] parquet = Files.readAllBytes(output);
    assertThat(Arrays.copyOfRange(parquet, 0, 4)).isEqualTo(MAGIC);
    assertThat(Arrays.copyOfRange(parquet, parquet.length - 4, parquet.length)).isEqualTo(MAGIC);
    Matcher id = Pattern.compile("--rebuild ([0-9a-f-]{36})").matcher(built.out());
    assertThat(id.find()).as(built.out()).isTrue();
    Matcher sha = Pattern.compile("output +sha256 ([0-9a-f]{64})").matcher(built.out());
    assertThat(sha.find()).as(built.out()).isTrue();

    Files.delete(output);
    Cli.Result rebuilt = Cli.run("training-set", "--rebuild", id.group(1), "--pg-url", pgUrl);
    assertThat(rebuilt.exitCode()).as(rebuilt.toString()).isZero();
    assertThat(rebuilt.out()).contains(id.group(1) + " rebuilt identically: 4 rows");
    assertThat(Files.readAllBytes(output)).isEqualTo(parquet);

    Path asCsv = dir.resolve("train.csv");
    Cli.Result toCsv =
        Cli.run(
            "training-set",
            "--rebuild",
            id.group(1),
            "--output",
            asCsv.toString(),
            "--pg-url",
            pgUrl);
    assertThat(toCsv.exitCode()).as(toCsv.toString()).isZero();
    assertThat(toCsv.out()).contains("output    sha256 " + sha.group(1));
    assertThat(Files.readAllLines(asCsv))
        .hasSize(5)
        .first()
        .isEqualTo("user_id,event_timestamp,churned,event_count_1h,last_platform");
  }

  @Test
  void compression_is_chosen_for_parquet_and_refused_elsewhere() throws Exception {
    Path labels = dir.resolve("labels.csv");
    Files.writeString(
        labels, "user_id,event_timestamp\nu1," + windowEnd.plus(Duration.ofMinutes(20)) + "\n");
    java.util.Map<String, byte[]> files = new java.util.TreeMap<>();
    for (String codec : List.of("none", "zstd", "SNAPPY", "gzip")) {
      Path output = dir.resolve("train-" + codec + ".parquet");
      Cli.Result r =
          Cli.run(
              "training-set",
              "--labels",
              labels.toString(),
              "--features",
              "user_activity:event_count_1h,user_activity:last_platform",
              "--output",
              output.toString(),
              "--compression",
              codec,
              "--pg-url",
              pgUrl);
      assertThat(r.exitCode()).as(r.toString()).isZero();
      files.put(codec, Files.readAllBytes(output));
    }
    // the codec is recorded in the file's footer, so each choice gives other bytes
    assertThat(new java.util.HashSet<>(files.values().stream().map(Arrays::toString).toList()))
        .hasSize(4);

    Cli.Result unknown =
        Cli.run(
            "training-set",
            "--labels",
            labels.toString(),
            "--features",
            "user_activity:event_count_1h",
            "--output",
            dir.resolve("t.parquet").toString(),
            "--compression",
            "lz4",
            "--pg-url",
            pgUrl);
    assertThat(unknown.exitCode()).as(unknown.toString()).isEqualTo(2);
    assertThat(unknown.err())
        .contains(
            "--compression lz4: unknown Parquet compression 'lz4' (use one of zstd, snappy, gzip,"
                + " none)");
    Cli.Result onCsv =
        Cli.run(
            "training-set",
            "--labels",
            labels.toString(),
            "--features",
            "user_activity:event_count_1h",
            "--output",
            dir.resolve("t.csv").toString(),
            "--compression",
            "zstd",
            "--pg-url",
            pgUrl);
    assertThat(onCsv.exitCode()).as(onCsv.toString()).isEqualTo(2);
    assertThat(onCsv.err()).contains("--compression zstd applies to Parquet output only");
    assertThat(dir.resolve("t.csv")).doesNotExist();
  }

  @Test
  void as_served_values_of_a_window_end_view_never_served_online_take_final_values_counted()
      throws Exception {
    Path labels = dir.resolve("labels.csv");
    Files.writeString(
        labels, "user_id,event_timestamp\nu1," + windowEnd.plus(Duration.ofMinutes(20)) + "\n");
    Path output = dir.resolve("train.csv");

    Cli.Result asServed =
        Cli.run(
            "training-set",
            "--labels",
            labels.toString(),
            "--features",
            "user_activity:event_count_1h",
            "--semantics",
            "as-served",
            "--output",
            output.toString(),
            "--pg-url",
            pgUrl);
    // The rows of this database were written offline only: never served online, so the one
    // label takes final values, and the summary says so.
    assertThat(asServed.exitCode()).as(asServed.toString()).isZero();
    assertThat(asServed.out())
        .contains("semantics as-served")
        .contains("never served online; 1 label before it took final values");
    assertThat(output).exists();
    Files.delete(output);

    Cli.Result unknown =
        Cli.run(
            "training-set",
            "--labels",
            labels.toString(),
            "--features",
            "user_activity:event_count_1h",
            "--semantics",
            "served",
            "--output",
            output.toString(),
            "--pg-url",
            pgUrl);
    assertThat(unknown.exitCode()).as(unknown.toString()).isEqualTo(2);
    assertThat(unknown.err()).contains("--semantics 'served': write as-served or final");
  }
}
