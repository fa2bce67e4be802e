package io.freshet.training;

import static io.freshet.training.OfflineDatabase.MERCHANTS;
import static io.freshet.training.OfflineDatabase.USERS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.freshet.storage.EntityKey;
import io.freshet.storage.FeatureRow;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Parquet training set, read back with Parquet's own reader, holds exactly the values and nulls
 * of the CSV form of the same set, typed; it carries the CSV form's checksum, so it rebuilds and
 * verifies like a CSV file.
 */
class ParquetTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private OfflineDatabase db;
  private Instant base;
  private Path labels;
  private TrainingSetBuilder builder;

  @BeforeEach
  void history() throws Exception {
    db = OfflineDatabase.fresh();
    db.create(USERS);
    db.create(MERCHANTS);
    base = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(2));
    List<FeatureRow> users = new ArrayList<>();
    List<FeatureRow> merchants = new ArrayList<>();
    for (int step = 0; step < 8; step++) {
      long f = base.plus(Duration.ofMinutes(15L * step)).toEpochMilli();
      for (int u = 0; u < 3; u++) {
        long count = 10L * u + step;
        // revenue: fractions, NaN, infinities and huge values; u2's platform null or empty
        double revenue =
            switch ((int) (count % 5)) {
              case 0 -> Double.NaN;
              case 1 -> Double.POSITIVE_INFINITY;
              case 2 -> -1e20 / count;
              default -> count / 3.0;
            };
        String platform = u == 2 ? (step % 2 == 0 ? null : "") : "web, \"beta\"\n";
        users.add(
            new FeatureRow(
                "u" + u, f, new Object[] {count, 1L, revenue, 1L, 2L, platform, 0.5, 0.5}));
      }
      List<String> skus =
          switch (step % 3) {
            case 0 -> List.of();
            case 1 -> Arrays.asList("a", null, "NULL", "b,\"c\"\\");
            default -> List.of("é", "");
          };
      merchants.add(
          new FeatureRow(
              EntityKey.of(List.of("m1", "DE")), f, new Object[] {(long) -step, skus, "pos"}));
    }
    db.commit(USERS, users);
    db.commit(MERCHANTS, merchants);
    labels = dir.resolve("labels.csv");
    StringBuilder csv = new StringBuilder("user_id,merchant_id,country,event_timestamp,target\n");
    for (int u = 0; u < 4; u++) {
      for (int minute = 0; minute < 150; minute += 7) {
        Instant t = base.plus(Duration.ofMinutes(minute)).plusNanos(123_456_000L * (u % 2));
        csv.append("u").append(u).append(minute % 5 == 0 ? ",," : ",m1,");
        csv.append(u == 1 ? "" : "DE").append(',').append(t).append(',');
        csv.append(minute % 3 == 0 ? "" : minute % 3 == 1 ? "\"\"" : "x").append('\n');
      }
    }
    Files.writeString(labels, csv, StandardCharsets.UTF_8);
    builder = TrainingSetBuilder.open(OfflineDatabase.CATALOG, db.url);
  }

  @AfterEach
  void drop() throws Exception {
    db.close();
  }

  private TrainingSetRequest request(TrainingSetOutput out) {
    return TrainingSetRequest.of(
        LabelSource.csv(labels),
        FeatureSelection.of(
            "user_activity:event_count_1h",
            "user_activity:revenue_1h",
            "user_activity:last_platform",
            "merchant_orders:order_count",
            "merchant_orders:recent_skus"),
        out);
  }

  @Test
  void a_parquet_set_holds_the_values_and_nulls_of_the_csv_set_and_its_checksum() throws Exception {
    Path csv = dir.resolve("train.csv");
    TrainingSetManifest built = builder.build(request(TrainingSetOutput.csv(csv)));
    Path parquet = dir.resolve("train.parquet");
    TrainingSetManifest asParquet =
        builder.build(request(TrainingSetOutput.parquet(parquet)).withAsOf(built.asOf()));

    assertThat(asParquet.outputSha256()).isEqualTo(built.outputSha256());
    assertThat(asParquet.output()).isEqualTo(TrainingSetOutput.parquet(parquet));
    assertThat(builder.manifest(asParquet.id()).orElseThrow().output())
        .isEqualTo(TrainingSetOutput.parquet(parquet));
    assertSame(TrainingSetFile.read(csv), parquet);
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("labels.csv", "train.csv", "train.parquet");
    }
  }

  @Test
  void a_set_rebuilds_by_id_to_parquet_and_a_parquet_set_rebuilds_in_place() throws Exception {
    Path csv = dir.resolve("train.csv");
    TrainingSetManifest built = builder.build(request(TrainingSetOutput.csv(csv)));
    TrainingSetFile expected = TrainingSetFile.read(csv);

    Path rebuilt = dir.resolve("rebuilt.parquet");
    assertThat(builder.rebuild(built.id(), TrainingSetOutput.parquet(rebuilt))).isEqualTo(built);
    assertSame(expected, rebuilt);

    Path parquet = dir.resolve("train.parquet");
    TrainingSetManifest asParquet =
        builder.build(request(TrainingSetOutput.parquet(parquet)).withAsOf(built.asOf()));
    byte[] before = Files.readAllBytes(parquet);
    Files.delete(parquet);
    assertThat(builder.rebuild(asParquet.id())).isEqualTo(asParquet);
    assertThat(Files.readAllBytes(parquet)).isEqualTo(before);

    Path back = dir.resolve("back.csv");
    builder.rebuild(asParquet.id(), TrainingSetOutput.csv(back));
    assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(csv));
    MessageDigest sha = Labels.sha256();
    sha.update(Files.readAllBytes(back));
    assertThat(Labels.hex(sha)).isEqualTo(asParquet.outputSha256());
  }

  @Test
  void a_parquet_output_is_recorded_and_read_back_from_its_description() {
    assertThat(TrainingSetOutput.parse("parquet:/data/t.parquet"))
        .isEqualTo(TrainingSetOutput.parquet(Path.of("/data/t.parquet")));
  }

  @Test
  void every_compression_is_read_back_by_duckdb_as_the_csv_set() throws Exception {
    Path csv = dir.resolve("train.csv");
    TrainingSetManifest built = builder.build(request(TrainingSetOutput.csv(csv)));
    TrainingSetFile expected = TrainingSetFile.read(csv);
    for (ParquetCompression compression : ParquetCompression.values()) {
      Path parquet = dir.resolve("train-" + compression.cliName() + ".parquet");
      TrainingSetManifest asParquet =
          builder.build(
              request(TrainingSetOutput.parquet(parquet, compression)).withAsOf(built.asOf()));
      assertThat(asParquet.outputSha256()).isEqualTo(built.outputSha256());
      assertSame(expected, parquet);
      assertReadByDuckDb(expected, parquet, compression);
    }
    assertThat(TrainingSetOutput.parquet(dir.resolve("t.parquet")))
        .isEqualTo(TrainingSetOutput.parquet(dir.resolve("t.parquet"), ParquetCompression.ZSTD));
  }

  @Test
  void a_compression_is_named_on_the_command_line_in_any_case_and_an_unknown_one_is_refused() {
    assertThat(ParquetCompression.parse("ZStd")).isEqualTo(ParquetCompression.ZSTD);
    assertThat(ParquetCompression.parse("none")).isEqualTo(ParquetCompression.NONE);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ParquetCompression.parse("lz4"))
        .hasMessage("unknown Parquet compression 'lz4' (use one of zstd, snappy, gzip, none)");
  }

  /**
   * DuckDB, a reader that shares no code with Parquet's Java library, reads {@code parquet} as the
   * CSV set, and reports every column chunk compressed with {@code compression}.
   */
  private static void assertReadByDuckDb(
      TrainingSetFile csv, Path parquet, ParquetCompression compression) throws Exception {
    String file = parquet.toString().replace("'", "''");
    try (java.sql.Connection duck = java.sql.DriverManager.getConnection("jdbc:duckdb:");
        java.sql.Statement st = duck.createStatement()) {
      try (java.sql.ResultSet codecs =
          st.executeQuery(
              "SELECT DISTINCT compression FROM parquet_metadata('" + file + "') ORDER BY 1")) {
        List<String> seen = new ArrayList<>();
        while (codecs.next()) {
          seen.add(codecs.getString(1));
        }
        assertThat(seen)
            .as("codecs of %s", parquet.getFileName())
            .containsExactly(
                compression == ParquetCompression.NONE ? "UNCOMPRESSED" : compression.name());
      }
      // epoch microseconds and lists as text, so that the comparison needs no DuckDB types
      StringBuilder select = new StringBuilder("SELECT ");
      for (int c = 0; c < csv.header().size(); c++) {
        String name = csv.header().get(c);
        select.append(c == 0 ? "" : ", ");
        select.append(
            switch (name) {
              case "event_timestamp" -> "epoch_us(\"" + name + "\")";
              case "recent_skus" -> "to_json(\"" + name + "\")::VARCHAR";
              default -> "\"" + name + "\"";
            });
      }
      select.append(" FROM read_parquet('").append(file).append("')");
      int r = 0;
      try (java.sql.ResultSet rows = st.executeQuery(select.toString())) {
        while (rows.next()) {
          String[] want = csv.rows().get(r);
          for (int c = 0; c < want.length; c++) {
            String name = csv.header().get(c);
            Object got = rows.getObject(c + 1);
            if (want[c] == null) {
              assertThat(got).as("row %d %s", r, name).isNull();
              continue;
            }
            switch (name) {
              case "event_timestamp" ->
                  assertThat(LabelTime.fromMicros(rows.getLong(c + 1)))
                      .isEqualTo(Instant.parse(want[c]));
              case "event_count_1h", "order_count" ->
                  assertThat(rows.getLong(c + 1))
                      .as("row %d %s", r, name)
                      .isEqualTo(Long.parseLong(want[c]));
              case "revenue_1h" ->
                  assertThat(Double.compare(rows.getDouble(c + 1), Double.parseDouble(want[c])))
                      .as("row %d %s: %s", r, name, want[c])
                      .isZero();
              case "recent_skus" ->
                  assertThat(JSON.readTree(rows.getString(c + 1)))
                      .as("row %d %s", r, name)
                      .isEqualTo(JSON.readTree(want[c]));
              default ->
                  assertThat(rows.getString(c + 1)).as("row %d %s", r, name).isEqualTo(want[c]);
            }
          }
          r++;
        }
      }
      assertThat(r).isEqualTo(csv.rows().size());
    }
  }

  /** Every value and null of {@code parquet} equals the CSV set's, with the documented types. */
  private void assertSame(TrainingSetFile csv, Path parquet) throws Exception {
    List<Group> rows = new ArrayList<>();
    MessageType schema;
    try (ParquetFileReader reader =
        ParquetFileReader.open(
            new LocalInputFile(parquet),
            ParquetReadOptions.builder(new PlainParquetConfiguration()).build())) {
      schema = reader.getFooter().getFileMetaData().getSchema();
      PageReadStore pages;
      while ((pages = reader.readNextRowGroup()) != null) {
        RecordReader<Group> records =
            new ColumnIOFactory()
                .getColumnIO(schema)
                .getRecordReader(pages, new GroupRecordConverter(schema));
        for (long i = 0; i < pages.getRowCount(); i++) {
          rows.add(records.read());
        }
      }
    }
    assertThat(schema.getFields().stream().map(Type::getName).toList()).isEqualTo(csv.header());
    assertThat(rows).hasSize(csv.rows().size());
    int nulls = 0;
    for (int r = 0; r < rows.size(); r++) {
      Group row = rows.get(r);
      for (int c = 0; c < csv.header().size(); c++) {
        String name = csv.header().get(c);
        String expected = csv.rows().get(r)[c];
        Type type = schema.getType(c);
        assertThat(type.isRepetition(Type.Repetition.OPTIONAL)).isTrue();
        if (expected == null) {
          nulls++;
          assertThat(row.getFieldRepetitionCount(c)).as("row %d %s", r, name).isZero();
          continue;
        }
        assertThat(row.getFieldRepetitionCount(c)).as("row %d %s", r, name).isOne();
        switch (name) {
          case "event_timestamp" -> {
            assertThat(type.getLogicalTypeAnnotation())
                .isEqualTo(
                    LogicalTypeAnnotation.timestampType(
                        true, LogicalTypeAnnotation.TimeUnit.MICROS));
            assertThat(LabelTime.fromMicros(row.getLong(c, 0))).isEqualTo(Instant.parse(expected));
          }
          case "event_count_1h", "order_count" -> {
            assertThat(type.asPrimitiveType().getPrimitiveTypeName())
                .isEqualTo(PrimitiveTypeName.INT64);
            assertThat(Long.toString(row.getLong(c, 0))).isEqualTo(expected);
          }
          case "revenue_1h" -> {
            assertThat(type.asPrimitiveType().getPrimitiveTypeName())
                .isEqualTo(PrimitiveTypeName.DOUBLE);
            assertThat(Double.compare(row.getDouble(c, 0), Double.parseDouble(expected)))
                .as("row %d %s: %s", r, name, expected)
                .isZero();
          }
          case "recent_skus" -> {
            assertThat(type.getLogicalTypeAnnotation()).isEqualTo(LogicalTypeAnnotation.listType());
            Group list = row.getGroup(c, 0);
            List<String> elements = new ArrayList<>();
            for (int i = 0; i < list.getFieldRepetitionCount(0); i++) {
              Group element = list.getGroup(0, i);
              elements.add(
                  element.getFieldRepetitionCount(0) == 0 ? null : element.getString(0, 0));
            }
            List<String> json = new ArrayList<>();
            for (JsonNode n : JSON.readTree(expected)) {
              json.add(n.isNull() ? null : n.textValue());
            }
            assertThat(elements).as("row %d %s", r, name).isEqualTo(json);
          }
          default -> {
            assertThat(type.getLogicalTypeAnnotation())
                .isEqualTo(LogicalTypeAnnotation.stringType());
            assertThat(row.getString(c, 0)).as("row %d %s", r, name).isEqualTo(expected);
          }
        }
      }
    }
    assertThat(nulls).isPositive();
  }
}
