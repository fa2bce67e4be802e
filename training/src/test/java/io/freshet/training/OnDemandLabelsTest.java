package io.freshet.training;

import static io.freshet.dsl.OnDemandExpression.divide;
import static io.freshet.dsl.OnDemandExpression.feature;
import static io.freshet.dsl.OnDemandExpression.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureType;
import io.freshet.plan.Catalog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request fields of a service's on-demand features come from label columns: a missing column or a
 * value that is not of the field's type fails before any work, naming the column and the line.
 */
class OnDemandLabelsTest {
  static final FeatureService CHECKOUT =
      FeatureService.named("checkout")
          .features("user_activity:event_count_1h")
          .requestField("amount", FeatureType.FLOAT64)
          .requestField("at", FeatureType.INT64)
          .onDemand(
              "amount_per_event",
              divide(field("amount"), feature("user_activity:event_count_1h"), 0))
          .build();

  private static OfflineDatabase db;
  private static TrainingSetBuilder builder;

  @TempDir Path dir;

  @BeforeAll
  static void database() throws Exception {
    db = OfflineDatabase.fresh();
    db.create(OfflineDatabase.USERS);
    builder =
        TrainingSetBuilder.open(
            Catalog.of(List.of(OfflineDatabase.USER_ACTIVITY), List.of(CHECKOUT)), db.url);
  }

  @AfterAll
  static void drop() throws Exception {
    db.close();
  }

  private TrainingSetRequest request(String labels) throws IOException {
    Path file = dir.resolve("labels.csv");
    Files.writeString(file, labels, StandardCharsets.UTF_8);
    return TrainingSetRequest.of(
        LabelSource.csv(file),
        FeatureSelection.service("checkout"),
        TrainingSetOutput.csv(dir.resolve("train.csv")));
  }

  private void assertNothingWritten() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("labels.csv");
    }
    assertThat(db.strings("SELECT count(*) FROM freshet.training_sets")).containsExactly("0");
  }

  @Test
  void a_missing_request_field_column_is_named() throws Exception {
    TrainingSetRequest r = request("user_id,event_timestamp,amount\nu1,2026-11-20T12:00:00Z,5\n");

    assertThatThrownBy(() -> builder.build(r))
        .isInstanceOf(TrainingSetException.class)
        .hasMessage(
            "the labels have no column 'at', the request field (INT64) of feature service"
                + " 'checkout' that its on-demand features read (add the column to the labels; its"
                + " columns: [user_id, event_timestamp, amount])");
    assertNothingWritten();
  }

  @Test
  void a_value_of_the_wrong_type_is_named_with_its_line_and_column() throws Exception {
    // Line 4: the quoted value spans two lines, so the third record starts on line 5.
    TrainingSetRequest r =
        request(
            "user_id,event_timestamp,amount,at\n"
                + "u1,2026-11-20T12:00:00Z,5,1\n"
                + "u2,2026-11-20T12:00:00Z,,\n"
                + "\"u\n3\",2026-11-20T12:00:00Z,2.5,7\n"
                + "u4,2026-11-20T12:00:00Z,12 euros,7\n");

    assertThatThrownBy(() -> builder.build(r))
        .isInstanceOf(TrainingSetException.class)
        .hasMessage(
            dir.resolve("labels.csv")
                + " line 6, column amount: expected a FLOAT64 (a number, e.g. 19.99), got '12"
                + " euros' (fix the value, or leave the cell empty for none)");
    assertNothingWritten();
  }

  @Test
  void an_int64_field_refuses_a_fraction() throws Exception {
    TrainingSetRequest r =
        request("user_id,event_timestamp,amount,at\nu1,2026-11-20T12:00:00Z,5,1.5\n");

    assertThatThrownBy(() -> builder.build(r))
        .hasMessageEndingWith(
            "line 2, column at: expected an INT64 (whole number, e.g. 42), got '1.5' (fix the"
                + " value, or leave the cell empty for none)");
  }
}
