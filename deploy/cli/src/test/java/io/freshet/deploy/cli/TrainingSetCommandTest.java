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
  void progress_as_a_bar_is_redrawn_in_place_and_ends_at_every_label() throws Exception {
    int n = progressLabels();
    Cli.Result r = buildWithProgress("bar");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("built: " + n + " rows written").doesNotContain("\r");
    // every stage's bar is drawn in place (\r) and ended by a newline at its final count
    for (String stage : List.of("reading labels", "joining", "writing")) {
      List<String> draws =
          Arrays.stream(r.err().split("[\r\n]"))
              .filter(d -> d.startsWith(stage + " "))
              .map(String::strip)
              .toList();
      assertThat(draws).as(r.err()).isNotEmpty();
      assertThat(r.err()).contains("\r" + stage + " [");
      assertPercentagesRiseTo100(draws, r.err());
      String last = draws.get(draws.size() - 1);
      assertThat(last)
          .as(r.err())
          .matches(
              Pattern.quote(stage)
                  + " \\[#{20}\\] 100% "
                  + String.format(java.util.Locale.ROOT, "%,d/%,d", n, n)
                  + " (labels|rows)  [\\d,]+ (labels|rows)/s  in \\d+:\\d\\d");
    }
    assertThat(r.err()).endsWith("\n");
  }

  @Test
  void progress_in_a_pipe_is_plain_lines_ending_in_a_summary_per_stage() throws Exception {
    int n = progressLabels();
    Cli.Result r = buildWithProgress("lines");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.err()).doesNotContain("\r").doesNotContain("[#");
    String count = String.format(java.util.Locale.ROOT, "%,d", n);
    for (String stage : List.of("reading labels", "joining", "writing")) {
      List<String> lines = r.err().lines().filter(l -> l.startsWith(stage + ": ")).toList();
      assertThat(lines).as(r.err()).isNotEmpty();
      assertPercentagesRiseTo100(lines, r.err());
      assertThat(lines.get(lines.size() - 1))
          .as(r.err())
          .matches(
              Pattern.quote(stage)
                  + ": done, "
                  + count
                  + " (labels|rows) \\(100%\\) in \\d+\\.\\d s, [\\d,]+ (labels|rows)/s");
    }
  }

  @Test
  void progress_auto_draws_a_bar_in_a_terminal_and_lines_elsewhere() throws Exception {
    ProgressOption option = new ProgressOption();
    option.style = "auto";
    option.terminal = () -> true;
    assertThat(option.resolve()).isEqualTo(io.freshet.deploy.progress.ProgressStyle.BAR);
    option.terminal = () -> false;
    assertThat(option.resolve()).isEqualTo(io.freshet.deploy.progress.ProgressStyle.LINES);
    progressLabels();
    Cli.Result bad =
        Cli.run(
            "training-set",
            "--labels",
            dir.resolve("labels.csv").toString(),
            "--features",
            "user_activity:event_count_1h",
            "--output",
            dir.resolve("t.csv").toString(),
            "--progress",
            "fancy",
            "--pg-url",
            pgUrl);
    assertThat(bad.exitCode()).as(bad.toString()).isEqualTo(2);
    assertThat(bad.err())
        .contains("--progress 'fancy' is not a progress style: write auto, bar, lines or none");
    assertThat(dir.resolve("t.csv")).doesNotExist();
  }

  /**
   * Writes labels.csv with as many labels as {@link #progressLabels} returns, some unknown users.
   */
  private int progressLabels() throws Exception {
    int n = 2500;
    StringBuilder csv = new StringBuilder("user_id,event_timestamp,churned\n");
    for (int i = 0; i < n; i++) {
      csv.append(i % 4 == 3 ? "x" + i : USERS.get(i % 3))
          .append(',')
          .append(windowEnd.plus(Duration.ofSeconds(60 + i)))
          .append(',')
          .append(i % 2)
          .append('\n');
    }
    Files.writeString(dir.resolve("labels.csv"), csv);
    return n;
  }

  private Cli.Result buildWithProgress(String style) {
    return Cli.run(
        "training-set",
        "--labels",
        dir.resolve("labels.csv").toString(),
        "--features",
        "user_activity:event_count_1h,user_activity:last_platform",
        "--output",
        dir.resolve("train-" + style + ".csv").toString(),
        "--progress",
        style,
        "--progress-interval",
        "50ms",
        "--pg-url",
        pgUrl);
  }

  /** The percentages shown never go down, and the last is 100%. */
  static void assertPercentagesRiseTo100(List<String> shown, String all) {
    Pattern percent = Pattern.compile("(\\d+)%");
    int last = -1;
    for (String s : shown) {
      Matcher m = percent.matcher(s);
      if (m.find()) {
        int p = Integer.parseInt(m.group(1));
        assertThat(p).as("%s%n%s", s, all).isGreaterThanOrEqualTo(last).isBetween(0, 100);
        last = p;
      }
    }
    assertThat(last).as(all).isEqualTo(100);
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
