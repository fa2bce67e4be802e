package io.freshet.training;

import static io.freshet.training.OfflineDatabase.MERCHANTS;
import static io.freshet.training.OfflineDatabase.USERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.dsl.FeatureView;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.EntityKey;
import io.freshet.storage.FeatureRow;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
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
 * A training set rebuilt after late events rewrote windows (new versions superseding old ones, new
 * rows for windows that had none) is byte-identical to the original; a fresh build sees the new
 * values.
 */
class RebuildTest {
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
        users.add(new FeatureRow("u" + u, f, userValues(10L * u + step, "web")));
      }
      merchants.add(
          new FeatureRow(
              EntityKey.of(List.of("m1", "DE")),
              f,
              new Object[] {(long) step, List.of("a"), "pos"}));
    }
    db.commit(USERS, users);
    db.commit(MERCHANTS, merchants);
    labels = dir.resolve("labels.csv");
    StringBuilder csv = new StringBuilder("user_id,merchant_id,country,event_timestamp,target\n");
    for (int u = 0; u < 4; u++) {
      for (int minute = 0; minute < 150; minute += 7) {
        Instant t = base.plus(Duration.ofMinutes(minute));
        csv.append("u").append(u).append(",m1,DE,").append(t).append(',').append(minute % 2);
        csv.append('\n');
      }
    }
    Files.writeString(labels, csv, StandardCharsets.UTF_8);
    builder = TrainingSetBuilder.open(OfflineDatabase.CATALOG, db.url);
  }

  @AfterEach
  void drop() throws Exception {
    db.close();
  }

  private static Object[] userValues(long count, String platform) {
    return new Object[] {count, 1L, count / 3.0, 1L, 2L, platform, 1.0 / count, 0.5};
  }

  private TrainingSetRequest request(Path out) {
    return TrainingSetRequest.of(
        LabelSource.csv(labels),
        FeatureSelection.of(
            "user_activity:event_count_1h",
            "user_activity:revenue_1h",
            "user_activity:last_platform",
            "merchant_orders:order_count",
            "merchant_orders:recent_skus"),
        TrainingSetOutput.csv(out));
  }

  /** Late events: windows rewritten with new values, and windows that had no row gain one. */
  private void lateData() throws Exception {
    List<FeatureRow> users = new ArrayList<>();
    for (int step = 0; step < 8; step += 2) {
      long f = base.plus(Duration.ofMinutes(15L * step)).toEpochMilli();
      users.add(new FeatureRow("u1", f, userValues(1000L + step, "ios")));
    }
    users.add(
        new FeatureRow(
            "u3", base.plus(Duration.ofMinutes(30)).toEpochMilli(), userValues(77L, "tv")));
    db.commit(USERS, users);
    db.commit(
        MERCHANTS,
        List.of(
            new FeatureRow(
                EntityKey.of(List.of("m1", "DE")),
                base.plus(Duration.ofMinutes(45)).toEpochMilli(),
                new Object[] {99L, List.of("late", "sku"), "pos"})));
  }

  @Test
  void a_rebuild_after_late_data_is_byte_identical_and_a_fresh_build_sees_the_new_values()
      throws Exception {
    Path out = dir.resolve("train.csv");
    TrainingSetManifest built = builder.build(request(out));
    byte[] original = Files.readAllBytes(out);
    assertThat(db.strings("SELECT count(*) FROM " + table(USERS))).containsExactly("24");

    lateData();
    assertThat(
            db.strings("SELECT count(*) FROM " + table(USERS) + " WHERE superseded_at IS NOT NULL"))
        .containsExactly("4");

    TrainingSetManifest rebuilt = builder.rebuild(built.id());
    assertThat(rebuilt).isEqualTo(built);
    assertThat(Files.readAllBytes(out)).isEqualTo(original);

    Path elsewhere = dir.resolve("again.csv");
    builder.rebuild(built.id(), TrainingSetOutput.csv(elsewhere));
    assertThat(Files.readAllBytes(elsewhere)).isEqualTo(original);

    long lastCommit =
        Long.parseLong(
            db.strings(
                    "SELECT (extract(epoch FROM max(committed_at)) * 1000000)::bigint FROM "
                        + table(USERS))
                .get(0));
    db.awaitStableAfter(Instant.EPOCH.plus(lastCommit, ChronoUnit.MICROS));
    Path fresh = dir.resolve("fresh.csv");
    TrainingSetManifest next = builder.build(request(fresh));
    assertThat(next.asOf()).isAfter(built.asOf());
    assertThat(next.outputSha256()).isNotEqualTo(built.outputSha256());
    TrainingSetFile before = TrainingSetFile.read(out);
    TrainingSetFile after = TrainingSetFile.read(fresh);
    // u1 at base + 40 min sees the 00:30 window (visible from 00:40): rewritten from 12 to 1002
    int row = rowOf(before, "u1", base.plus(Duration.ofMinutes(42)));
    assertThat(before.value(row, "event_count_1h")).isEqualTo("12");
    assertThat(after.value(row, "event_count_1h")).isEqualTo("1002");
    assertThat(after.value(row, "last_platform")).isEqualTo("ios");
    // u3 had no rows at all; now a late window at 00:30
    int u3 = rowOf(before, "u3", base.plus(Duration.ofMinutes(42)));
    assertThat(before.value(u3, "event_count_1h")).isNull();
    assertThat(after.value(u3, "event_count_1h")).isEqualTo("77");
    // the merchant's 00:45 window (no delay): seen by labels from 00:45 on
    int m = rowOf(before, "u0", base.plus(Duration.ofMinutes(49)));
    assertThat(before.value(m, "order_count")).isEqualTo("3");
    assertThat(after.value(m, "order_count")).isEqualTo("99");
    assertThat(after.value(m, "recent_skus")).isEqualTo("[\"late\",\"sku\"]");
  }

  @Test
  void a_postgres_table_is_rebuilt_in_place_identically() throws Exception {
    db.execute("CREATE SCHEMA ml");
    TrainingSetRequest toTable =
        TrainingSetRequest.of(
            LabelSource.csv(labels),
            FeatureSelection.of("user_activity:event_count_1h", "merchant_orders:recent_skus"),
            TrainingSetOutput.postgresTable("ml.train"));
    TrainingSetManifest built = builder.build(toTable);
    String dump = "SELECT string_agg(t::text, '|' ORDER BY t::text) FROM ml.train t";
    List<String> original = db.strings(dump);

    lateData();
    builder.rebuild(built.id());

    assertThat(db.strings(dump)).isEqualTo(original);
    assertThat(
            db.strings(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                    + " WHERE attrelid = 'ml.train'::regclass AND attnum > 0 ORDER BY attnum"))
        .containsExactly("text", "text", "text", "text", "text", "bigint", "text[]");
    // one checksum whatever the output: the CSV form of the same set
    Path csv = dir.resolve("same.csv");
    builder.rebuild(built.id(), TrainingSetOutput.csv(csv));
    assertThat(Labels.hex(digest(csv))).isEqualTo(built.outputSha256());
  }

  @Test
  void a_rebuild_uses_the_recorded_ttl_and_delay_which_the_fingerprint_does_not_cover()
      throws Exception {
    Path out = dir.resolve("train.csv");
    TrainingSetManifest built = builder.build(request(out));
    byte[] original = Files.readAllBytes(out);
    FeatureView u = OfflineDatabase.USER_ACTIVITY;
    FeatureView shorter =
        new FeatureView(
            u.name(), u.source(), u.features(), u.derived(), Duration.ofMinutes(20), Duration.ZERO);
    Catalog changed = Catalog.of(List.of(shorter, OfflineDatabase.MERCHANT_ORDERS));
    assertThat(changed.plan("user_activity").fingerprint()).isEqualTo(USERS.fingerprint());
    TrainingSetBuilder later = TrainingSetBuilder.open(changed, db.url);

    later.rebuild(built.id());
    assertThat(Files.readAllBytes(out)).isEqualTo(original);

    Path fresh = dir.resolve("fresh.csv");
    later.build(request(fresh).withAsOf(built.asOf()));
    assertThat(Files.readAllBytes(fresh)).isNotEqualTo(original);
  }

  @Test
  void a_rebuild_refuses_labels_that_changed_and_leaves_the_output_alone() throws Exception {
    Path out = dir.resolve("train.csv");
    TrainingSetManifest built = builder.build(request(out));
    byte[] original = Files.readAllBytes(out);
    Files.writeString(labels, "\nu9,m1,DE," + base + ",1\n", StandardOpenOption.APPEND);

    assertThatThrownBy(() -> builder.rebuild(built.id()))
        .isInstanceOf(TrainingSetException.class)
        .hasMessageContaining("the labels of training set " + built.id() + " changed")
        .hasMessageContaining("manifest recorded " + built.labelSha256());
    assertThat(Files.readAllBytes(out)).isEqualTo(original);
  }

  @Test
  void a_rebuild_that_cannot_reproduce_the_output_replaces_nothing() throws Exception {
    Path out = dir.resolve("train.csv");
    TrainingSetManifest built = builder.build(request(out));
    byte[] original = Files.readAllBytes(out);
    // history rewritten in place, which the offline table never does by itself
    db.execute("UPDATE " + table(USERS) + " SET event_count_1h = event_count_1h + 1");

    assertThatThrownBy(() -> builder.rebuild(built.id()))
        .isInstanceOf(TrainingSetException.class)
        .hasMessageContaining("but the manifest recorded " + built.outputSha256())
        .hasMessageContaining("nothing was replaced");
    assertThat(Files.readAllBytes(out)).isEqualTo(original);
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("labels.csv", "train.csv");
    }
  }

  private static int rowOf(TrainingSetFile set, String user, Instant t) {
    for (int i = 0; i < set.rows().size(); i++) {
      if (set.value(i, "user_id").equals(user) && set.value(i, "event_timestamp").equals(t + "")) {
        return i;
      }
    }
    throw new AssertionError("no label for " + user + " at " + t);
  }

  private static MessageDigest digest(Path file) throws Exception {
    MessageDigest sha = Labels.sha256();
    sha.update(Files.readAllBytes(file));
    return sha;
  }

  private static String table(ViewPlan plan) {
    return OfflineTable.of(plan).qualifiedName();
  }
}
