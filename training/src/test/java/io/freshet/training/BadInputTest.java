package io.freshet.training;

import static io.freshet.training.OfflineDatabase.USERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input fails before any work, with a message naming the line or column and the problem, and
 * leaves no output behind (an existing output stays as it was).
 */
class BadInputTest {
  private static OfflineDatabase db;
  private static TrainingSetBuilder builder;

  @TempDir Path dir;

  @BeforeAll
  static void database() throws Exception {
    db = OfflineDatabase.fresh();
    db.create(USERS);
    builder = TrainingSetBuilder.open(OfflineDatabase.CATALOG, db.url);
  }

  @AfterAll
  static void drop() throws Exception {
    db.close();
  }

  private Path labels(String text) throws IOException {
    Path file = dir.resolve("labels.csv");
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  private TrainingSetRequest request(Path labels, String... features) {
    return TrainingSetRequest.of(
        LabelSource.csv(labels),
        FeatureSelection.of(
            features.length == 0 ? new String[] {"user_activity:event_count_1h"} : features),
        TrainingSetOutput.csv(dir.resolve("train.csv")));
  }

  private void assertNothingWritten() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("labels.csv");
    }
    assertThat(db.strings("SELECT count(*) FROM freshet.training_sets")).containsExactly("0");
  }

  @Test
  void rejects_labels_without_the_entity_key_column() throws Exception {
    Path file = labels("customer,event_timestamp,label\nu1,2026-11-20T12:00:00Z,1\n");

    assertThatThrownBy(() -> builder.build(request(file)))
        .isInstanceOf(TrainingSetException.class)
        .hasMessage(
            file
                + " has no column 'user_id' (entity key of view user_activity);"
                + " its columns are [customer, event_timestamp, label]");
    assertNothingWritten();
  }

  @Test
  void rejects_labels_without_the_timestamp_column_and_names_every_missing_one() throws Exception {
    Path file = labels("label,ts\n1,2026-11-20T12:00:00Z\n");

    assertThatThrownBy(() -> builder.build(request(file)))
        .isInstanceOf(TrainingSetException.class)
        .hasMessage(
            file
                + " has no column 'event_timestamp' (the timestamp column; name another one with"
                + " the timestamp column option) and no column 'user_id' (entity key of view"
                + " user_activity); its columns are [label, ts]");
    assertNothingWritten();
  }

  @Test
  void rejects_an_unparseable_timestamp_naming_its_line_and_value() throws Exception {
    Path file =
        labels(
            "user_id,event_timestamp,note\n"
                + "u1,2026-11-20T12:00:00Z,fine\n"
                + "u2,1795089600000,\"two\nlines\"\n"
                + "u3,2026-11-20 12:00:00,no offset\n");

    assertThatThrownBy(() -> builder.build(request(file)))
        .isInstanceOf(TrainingSetException.class)
        .hasMessage(
            file
                + " line 5: event_timestamp '2026-11-20 12:00:00' is neither an ISO-8601 instant"
                + " with an offset nor epoch milliseconds (e.g. 2026-11-20T12:00:00Z or"
                + " 1795089600000)");
    assertNothingWritten();
  }

  @Test
  void lists_several_problems_at_once() throws Exception {
    Path file =
        labels(
            "user_id,event_timestamp\n"
                + "u1,yesterday\n"
                + "u2\n"
                + "u3,\n"
                + "u4,99999999999999999999\n"
                + "u5,9999-12-31T23:59:59Z\n"
                + "u6,\"2026-11-20T12:00:00Z\"x\n");

    assertThatThrownBy(() -> builder.build(request(file)))
        .isInstanceOf(TrainingSetException.class)
        .hasMessage(
            file
                + ": 5 problems\n"
                + "  line 2: event_timestamp 'yesterday' is neither an ISO-8601 instant with an"
                + " offset nor epoch milliseconds (e.g. 2026-11-20T12:00:00Z or 1795089600000)\n"
                + "  line 3: 1 fields, but the header has 2 [user_id, event_timestamp]\n"
                + "  line 4: event_timestamp is empty\n"
                + "  line 5: event_timestamp '99999999999999999999' is too large for epoch"
                + " milliseconds\n"
                + "  line 7: text after the closing quote of a field (a quote inside a field"
                + " is \"\")");
    assertNothingWritten();
  }

  @Test
  void rejects_unknown_views_and_features_listing_the_known_ones() throws Exception {
    Path file = labels("user_id,event_timestamp\nu1,2026-11-20T12:00:00Z\n");

    assertThatThrownBy(
            () ->
                builder.build(
                    request(file, "user_activity:event_count_2h", "users:event_count_1h")))
        .isInstanceOf(TrainingSetException.class)
        .hasMessage(
            "feature view 'user_activity' has no feature 'event_count_2h' (its features:"
                + " [event_count_1h, purchase_count_1h, revenue_1h, session_count_1h,"
                + " unique_products_1h, last_platform, conversion_rate_1h,"
                + " avg_revenue_per_purchase_1h]); unknown feature view 'users' in"
                + " users:event_count_1h (known views: [user_activity, merchant_orders])");
    assertNothingWritten();
  }

  @Test
  void rejects_an_unknown_feature_service() throws Exception {
    Path file = labels("user_id,event_timestamp\nu1,2026-11-20T12:00:00Z\n");

    assertThatThrownBy(
            () ->
                builder.build(
                    TrainingSetRequest.of(
                        LabelSource.csv(file),
                        FeatureSelection.service("fraud_model"),
                        TrainingSetOutput.csv(dir.resolve("train.csv")))))
        .isInstanceOf(TrainingSetException.class)
        .hasMessage("unknown feature service 'fraud_model' (known services: [])");
    assertNothingWritten();
  }

  @Test
  void rejects_a_view_whose_offline_table_does_not_exist() throws Exception {
    Path file =
        labels("user_id,merchant_id,country,event_timestamp\nu1,m1,DE,2026-11-20T12:00:00Z\n");

    assertThatThrownBy(() -> builder.build(request(file, "merchant_orders:order_count")))
        .isInstanceOf(TrainingSetException.class)
        .hasMessageStartingWith(
            "no offline table freshet.\"merchant_orders__"
                + OfflineDatabase.MERCHANTS.versionTag()
                + "\" (view merchant_orders): nothing was ever written");
    assertNothingWritten();
  }

  @Test
  void rejects_an_as_of_time_writers_could_still_commit_behind() throws Exception {
    Path file = labels("user_id,event_timestamp\nu1,2026-11-20T12:00:00Z\n");

    assertThatThrownBy(
            () -> builder.build(request(file).withAsOf(Instant.now().plus(Duration.ofHours(1)))))
        .isInstanceOf(TrainingSetException.class)
        .hasMessageContaining("the latest time no writer can still commit rows behind");
    assertNothingWritten();
  }

  @Test
  void rejects_a_feature_column_that_a_label_column_already_holds() throws Exception {
    Path file =
        labels("user_id,event_timestamp,user_activity__event_count_1h,event_count_1h\nu1,1,2,3\n");

    assertThatThrownBy(() -> builder.build(request(file)))
        .isInstanceOf(TrainingSetException.class)
        .hasMessage(
            "feature user_activity:event_count_1h would be written as column"
                + " 'user_activity__event_count_1h', which the labels already have; rename that"
                + " label column");
    assertNothingWritten();
  }

  @Test
  void a_failed_build_leaves_an_existing_output_as_it_was() throws Exception {
    Path file = labels("user_id,event_timestamp\nu1,not a time\n");
    Path out = dir.resolve("train.csv");
    Files.writeString(out, "the previous set\n");

    assertThatThrownBy(() -> builder.build(request(file))).isInstanceOf(TrainingSetException.class);
    assertThat(Files.readString(out)).isEqualTo("the previous set\n");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("labels.csv", "train.csv");
    }
  }

  @Test
  void rejects_an_output_table_that_exists_and_a_missing_label_file() throws Exception {
    db.execute("CREATE TABLE public.taken (x int)");
    Path file = labels("user_id,event_timestamp\nu1,2026-11-20T12:00:00Z\n");

    assertThatThrownBy(
            () ->
                builder.build(
                    TrainingSetRequest.of(
                        LabelSource.csv(file),
                        FeatureSelection.of("user_activity:event_count_1h"),
                        TrainingSetOutput.postgresTable("taken"))))
        .isInstanceOf(TrainingSetException.class)
        .hasMessage("output table public.taken already exists (drop it or name another table)");
    assertThatThrownBy(() -> builder.build(request(dir.resolve("nope.csv"))))
        .isInstanceOf(TrainingSetException.class)
        .hasMessage("label file " + dir.resolve("nope.csv") + " does not exist");
    assertThat(db.strings("SELECT count(*) FROM freshet.training_sets")).containsExactly("0");
  }

  @Test
  void rejects_a_label_table_with_a_zoneless_timestamp_column() throws Exception {
    db.execute("CREATE TABLE public.zoneless (user_id text, event_timestamp timestamp)");

    assertThatThrownBy(
            () ->
                builder.build(
                    TrainingSetRequest.of(
                        LabelSource.postgresTable("zoneless"),
                        FeatureSelection.of("user_activity:event_count_1h"),
                        TrainingSetOutput.csv(dir.resolve("train.csv")))))
        .isInstanceOf(TrainingSetException.class)
        .hasMessageStartingWith(
            "label table public.zoneless: timestamp column 'event_timestamp' is timestamp without"
                + " time zone, which does not say which instant it means;");
    assertThat(List.of(dir.toFile().list())).isEmpty();
  }
}
