package io.freshet.training;

import static io.freshet.training.OfflineDatabase.USERS;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.FeatureService.FeatureRef;
import io.freshet.plan.Catalog;
import io.freshet.storage.FeatureRow;
import io.freshet.training.TrainingSetManifest.ViewVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Labels from a Postgres table, sets written to a table, feature services, and the manifest as
 * stored.
 */
class PostgresLabelsTest {
  @TempDir Path dir;

  private OfflineDatabase db;
  private Instant base;

  @BeforeEach
  void history() throws Exception {
    db = OfflineDatabase.fresh();
    db.create(USERS);
    base = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(2));
    List<FeatureRow> rows = new ArrayList<>();
    for (int step = 0; step < 4; step++) {
      for (int u = 1; u <= 2; u++) {
        rows.add(
            new FeatureRow(
                Integer.toString(u),
                base.plus(Duration.ofMinutes(15L * step)).toEpochMilli(),
                new Object[] {10L * u + step, 1L, 0.1 * step, 1L, 1L, "web", 1.0 / 3, 0.0}));
      }
    }
    db.commit(USERS, rows);
    db.execute("CREATE SCHEMA ml");
    db.execute(
        "CREATE TABLE ml.labels (id bigint PRIMARY KEY, user_id bigint,"
            + " event_timestamp timestamptz NOT NULL, amount numeric(10,2), tags text[],"
            + " churned boolean)");
    db.execute(
        "INSERT INTO ml.labels VALUES"
            + " (3, 2, '"
            + base.plus(Duration.ofMinutes(40))
            + "', 12.50, '{a,\"b c\"}', true),"
            + " (1, 1, '"
            + base.plus(Duration.ofMinutes(25))
            + "', NULL, NULL, false),"
            + " (2, 1, '"
            + base.plus(Duration.ofMinutes(10))
            + "', 0.10, '{}', NULL),"
            + " (10, NULL, '"
            + base
            + "', 1, NULL, NULL)");
  }

  @AfterEach
  void drop() throws Exception {
    db.close();
  }

  @Test
  void a_label_table_is_read_in_primary_key_order_and_its_columns_keep_their_types()
      throws Exception {
    TrainingSetBuilder builder = TrainingSetBuilder.open(OfflineDatabase.CATALOG, db.url);
    TrainingSetManifest m =
        builder.build(
            TrainingSetRequest.of(
                LabelSource.postgresTable("ml.labels"),
                FeatureSelection.of("user_activity:event_count_1h", "user_activity:revenue_1h"),
                TrainingSetOutput.postgresTable("ml.train")));

    assertThat(
            db.strings(
                "SELECT concat_ws(' | ', id, user_id, event_timestamp, amount, tags, churned,"
                    + " event_count_1h, revenue_1h) FROM ml.train"))
        .containsExactly(
            "1 | 1 | " + pg(base.plus(Duration.ofMinutes(25))) + " | f | 11 | 0.1",
            "2 | 1 | " + pg(base.plus(Duration.ofMinutes(10))) + " | 0.10 | {} | 10 | 0",
            "3 | 2 | "
                + pg(base.plus(Duration.ofMinutes(40)))
                + " | 12.50 | {a,\"b c\"} | t | 22 | 0.2",
            "10 | " + pg(base) + " | 1.00");
    assertThat(
            db.strings(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                    + " WHERE attrelid = 'ml.train'::regclass AND attnum > 0 ORDER BY attnum"))
        .containsExactly(
            "bigint",
            "bigint",
            "timestamp with time zone",
            "numeric(10,2)",
            "text[]",
            "boolean",
            "bigint",
            "double precision");

    // the same set as CSV: one checksum for both, values in Postgres' text form
    Path csv = dir.resolve("train.csv");
    TrainingSetManifest asCsv =
        builder.build(
            TrainingSetRequest.of(
                    LabelSource.postgresTable("ml.labels"),
                    FeatureSelection.of("user_activity:event_count_1h", "user_activity:revenue_1h"),
                    TrainingSetOutput.csv(csv))
                .withAsOf(m.asOf()));
    assertThat(asCsv.outputSha256()).isEqualTo(m.outputSha256());
    assertThat(asCsv.labelSha256()).isEqualTo(m.labelSha256());
    assertThat(Files.readString(csv))
        .isEqualTo(
            "id,user_id,event_timestamp,amount,tags,churned,event_count_1h,revenue_1h\n"
                + "1,1,"
                + pg(base.plus(Duration.ofMinutes(25)))
                + ",,,f,11,0.1\n"
                + "2,1,"
                + pg(base.plus(Duration.ofMinutes(10)))
                + ",0.10,{},,10,0\n"
                + "3,2,"
                + pg(base.plus(Duration.ofMinutes(40)))
                + ",12.50,\"{a,\"\"b c\"\"}\",t,22,0.2\n"
                + "10,,"
                + pg(base)
                + ",1.00,,,,\n");
  }

  @Test
  void a_table_without_a_primary_key_is_read_in_an_order_independent_of_storage() throws Exception {
    db.execute("CREATE TABLE ml.heap AS SELECT user_id, event_timestamp FROM ml.labels");
    TrainingSetBuilder builder = TrainingSetBuilder.open(OfflineDatabase.CATALOG, db.url);
    TrainingSetRequest request =
        TrainingSetRequest.of(
            LabelSource.postgresTable("ml.heap"),
            FeatureSelection.of("user_activity:event_count_1h"),
            TrainingSetOutput.csv(dir.resolve("a.csv")));
    TrainingSetManifest first = builder.build(request);

    db.execute("UPDATE ml.heap SET user_id = user_id WHERE user_id = 1");
    db.execute("VACUUM FULL ml.heap");
    TrainingSetManifest second =
        builder.build(
            TrainingSetRequest.of(
                    LabelSource.postgresTable("ml.heap"),
                    FeatureSelection.of("user_activity:event_count_1h"),
                    TrainingSetOutput.csv(dir.resolve("b.csv")))
                .withAsOf(first.asOf()));

    assertThat(second.labelSha256()).isEqualTo(first.labelSha256());
    assertThat(Files.readString(dir.resolve("b.csv")))
        .isEqualTo(Files.readString(dir.resolve("a.csv")))
        .startsWith("user_id,event_timestamp,event_count_1h\n1,");
  }

  @Test
  void a_feature_service_names_the_features_and_the_manifest_records_everything() throws Exception {
    Catalog examples = Catalog.load(getClass().getClassLoader());
    assertThat(examples.plan("user_activity").fingerprint()).isEqualTo(USERS.fingerprint());
    TrainingSetBuilder builder = TrainingSetBuilder.open(examples, db.url);
    Path out = dir.resolve("service.csv");

    TrainingSetManifest m =
        builder.build(
            TrainingSetRequest.of(
                    LabelSource.postgresTable("ml.labels"),
                    FeatureSelection.service("conversion_model"),
                    TrainingSetOutput.csv(out))
                .withFullFeatureNames());

    assertThat(TrainingSetFile.read(out).header())
        .containsExactly(
            "id",
            "user_id",
            "event_timestamp",
            "amount",
            "tags",
            "churned",
            "user_activity__event_count_1h",
            "user_activity__purchase_count_1h",
            "user_activity__conversion_rate_1h",
            "user_activity__last_platform");
    assertThat(m.featureService()).isEqualTo("conversion_model");
    assertThat(m.features())
        .containsExactlyElementsOf(examples.service("conversion_model").features());
    assertThat(m.features().get(0)).isEqualTo(FeatureRef.parse("user_activity:event_count_1h"));
    assertThat(m.views())
        .containsExactly(
            new ViewVersion(
                "user_activity",
                USERS.versionTag(),
                USERS.fingerprint(),
                List.of("user_id"),
                Duration.ofHours(2),
                Duration.ofMinutes(10)));
    assertThat(m.labels()).isEqualTo(LabelSource.postgresTable("ml.labels"));
    assertThat(m.output()).isEqualTo(TrainingSetOutput.csv(out));
    assertThat(m.rowCount()).isEqualTo(4);
    assertThat(m.outputSha256()).isEqualTo(Labels.hex(sha(out)));
    assertThat(m.asOf()).isBefore(m.createdAt().plusSeconds(1));
    assertThat(builder.manifest(m.id())).contains(m);
    assertThat(
            db.strings(
                "SELECT version || ' ' || success FROM freshet.flyway_schema_history"
                    + " WHERE version IS NOT NULL ORDER BY installed_rank"))
        .as("the manifest tables are V2 of schema freshet's one history")
        .containsExactly(
            "0 true", "1 true", "2 true", "3 true", "4 true", "5 true", "6 true", "7 true");
  }

  private static java.security.MessageDigest sha(Path file) throws Exception {
    java.security.MessageDigest d = Labels.sha256();
    d.update(Files.readAllBytes(file));
    return d;
  }

  /** Postgres' text form of a timestamptz under TimeZone=UTC, DateStyle=ISO. */
  private static String pg(Instant t) {
    return t.toString().replace('T', ' ').replace("Z", "+00");
  }
}
