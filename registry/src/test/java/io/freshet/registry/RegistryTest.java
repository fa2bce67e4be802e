package io.freshet.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.Filter;
import io.freshet.examples.UserActivity;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.ViewPlan;
import io.freshet.registry.ViewChange.Kind;
import io.freshet.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The registry against a real Postgres: a fresh database per test. */
class RegistryTest {
  private static final FeatureView ACTIVITY = UserActivity.view();
  private static final FeatureView LIVE = UserActivity.liveView();

  private String url;

  @BeforeEach
  void freshDatabase() {
    url = TestPostgres.freshDatabase("freshet_registry");
  }

  @AfterEach
  void dropDatabase() throws SQLException {
    String name = url.substring(url.lastIndexOf('/') + 1).replaceFirst("\\?.*", "");
    try (Connection c = DriverManager.getConnection(TestPostgres.adminUrl());
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }

  // ---- migrations

  @Test
  void migrations_create_the_registry_tables_on_an_empty_database() throws SQLException {
    // the registry migrates schema freshet as a whole: one history for every fixed table in it
    Registry.open(url);

    assertThat(
            strings(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'freshet'"
                    + " ORDER BY table_name"))
        .containsExactly(
            "applies",
            "feature_services",
            "feature_views",
            "flyway_schema_history",
            "rejected_events",
            "sink_commits",
            "table_loads",
            "training_set_views",
            "training_sets");
    assertThat(
            strings(
                "SELECT version || ' ' || success FROM freshet.flyway_schema_history"
                    + " WHERE version IS NOT NULL ORDER BY installed_rank"))
        .containsExactly("1 true", "2 true", "3 true", "4 true", "5 true", "6 true", "7 true");
  }

  @Test
  void reopening_a_migrated_database_changes_nothing() throws SQLException {
    Registry.open(url).apply(Registry.open(url).plan(List.of(ACTIVITY)));
    List<String> history = strings("SELECT * FROM freshet.flyway_schema_history");

    Registry again = Registry.open(url);
    Registry.open(url);

    assertThat(strings("SELECT * FROM freshet.flyway_schema_history")).isEqualTo(history);
    assertThat(again.view("user_activity")).map(RegisteredView::definition).contains(ACTIVITY);
  }

  @Test
  void migrations_apply_to_a_schema_that_already_holds_offline_tables() throws SQLException {
    OfflineTable table = OfflineTable.of(ViewPlan.of(ACTIVITY));
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      for (String sql : table.createStatements()) {
        s.execute(sql);
      }
    }

    Registry registry = Registry.open(url);
    registry.apply(registry.plan(List.of(ACTIVITY)));

    assertThat(registry.latestViews()).hasSize(1);
    assertThat(
            strings(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'freshet'"
                    + " ORDER BY table_name"))
        .contains(table.tableName(), "feature_views");
  }

  @Test
  void open_names_an_unreachable_database_without_its_credentials() {
    assertThatThrownBy(
            () -> Registry.open("jdbc:postgresql://127.0.0.1:1/nowhere?user=u&password=s3cret"))
        .isInstanceOf(RegistryException.class)
        .hasMessageStartingWith(
            "could not connect to the registry at jdbc:postgresql://127.0.0.1:1/nowhere: ")
        .hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> Registry.open("jdbc:mysql://127.0.0.1/db?password=s3cret"))
        .isInstanceOf(RegistryException.class)
        .hasMessage("not a Postgres JDBC URL: jdbc:mysql://127.0.0.1/db");
  }

  // ---- plan and apply

  @Test
  void new_view_is_planned_as_new_and_is_unchanged_once_applied() {
    Registry registry = Registry.open(url);

    Plan plan = registry.plan(List.of(ACTIVITY));
    assertThat(plan.describe())
        .isEqualTo(
            "Plan: 1 new, 0 changed, 0 settings changed, 0 unchanged\n"
                + "+ user_activity: new, version 1, served at window ends\n"
                + "    offline table "
                + table(ACTIVITY)
                + " (new)\n");
    Plan done = registry.apply(plan);
    assertThat(done.changes()).extracting(ViewChange::kind).containsExactly(Kind.NEW);

    Plan again = registry.plan(List.of(ACTIVITY));
    assertThat(again.hasChanges()).isFalse();
    assertThat(again.describe())
        .isEqualTo(
            "Plan: 0 new, 0 changed, 0 settings changed, 1 unchanged\n"
                + "= user_activity: unchanged, version 1, served at window ends, offline table "
                + table(ACTIVITY)
                + "\n");
  }

  @Test
  void a_request_time_view_is_described_with_its_tile_and_tile_table() {
    Registry registry = Registry.open(url);
    String tiles = io.freshet.offline.TileTable.of(ViewPlan.of(LIVE)).qualifiedName();

    Plan plan = registry.plan(List.of(ACTIVITY, LIVE));

    assertThat(plan.describe())
        .contains(
            "+ user_activity_live: new, version 1, served at request time, tiles of 1m\n"
                + "    tile table "
                + tiles
                + " (new)\n")
        .contains("+ user_activity: new, version 1, served at window ends\n");
    registry.apply(plan);
    assertThat(registry.plan(List.of(LIVE)).describe())
        .contains(
            "= user_activity_live: unchanged, version 1, served at request time, tiles of 1m,"
                + " tile table "
                + tiles
                + "\n");
  }

  @Test
  void applying_the_same_definitions_twice_writes_nothing_the_second_time() throws SQLException {
    Registry registry = Registry.open(url);
    registry.apply(registry.plan(List.of(ACTIVITY, LIVE)));
    long counter = registry.changeCounter();

    Plan second = registry.apply(registry.plan(List.of(ACTIVITY, LIVE)));

    assertThat(second.hasChanges()).isFalse();
    assertThat(registry.changeCounter()).isEqualTo(counter);
    assertThat(strings("SELECT count(*) FROM freshet.applies")).containsExactly("1");
    assertThat(strings("SELECT count(*) FROM freshet.feature_views")).containsExactly("2");
  }

  @Test
  void changed_filter_makes_version_2_with_its_own_table() {
    Registry registry = Registry.open(url);
    registry.apply(registry.plan(List.of(ACTIVITY)));
    FeatureView checkout =
        withFilter(ACTIVITY, "purchase_count_1h", Filter.equalTo("event_type", "checkout"));

    Plan plan = registry.plan(List.of(checkout));

    ViewChange change = plan.changes().get(0);
    assertThat(change.kind()).isEqualTo(Kind.CHANGED);
    assertThat(change.version()).isEqualTo(2);
    assertThat(change.plan().versionTag()).isNotEqualTo(ViewPlan.of(ACTIVITY).versionTag());
    assertThat(plan.describe())
        .startsWith(
            "Plan: 0 new, 1 changed, 0 settings changed, 0 unchanged\n"
                + "~ user_activity: changed, version 1 -> 2, served at window ends\n"
                + "    offline table "
                + table(checkout)
                + " (new; version 1 keeps "
                + table(ACTIVITY)
                + ")\n")
        .contains(
            "    - purchase_count_1h: INT64 = count(*) where event_type == \"purchase\" over 1h\n"
                + "    + purchase_count_1h: INT64 = count(*) where event_type == \"checkout\" over"
                + " 1h\n");

    registry.apply(plan);

    RegisteredView latest = registry.view("user_activity").orElseThrow();
    assertThat(latest.version()).isEqualTo(2);
    assertThat(latest.definition()).isEqualTo(checkout);
    assertThat(latest.versionTag()).isEqualTo(ViewPlan.of(checkout).versionTag());
    RegisteredView first = registry.view("user_activity", 1).orElseThrow();
    assertThat(first.current()).isFalse();
    assertThat(first.definition()).isEqualTo(ACTIVITY);
    assertThat(registry.latestViews()).extracting(RegisteredView::version).containsExactly(2);
  }

  @Test
  void returning_to_an_earlier_meaning_makes_its_version_current_again() {
    Registry registry = Registry.open(url);
    FeatureView checkout =
        withFilter(ACTIVITY, "purchase_count_1h", Filter.equalTo("event_type", "checkout"));
    registry.apply(registry.plan(List.of(ACTIVITY)));
    registry.apply(registry.plan(List.of(checkout)));

    Plan back = registry.plan(List.of(ACTIVITY));

    assertThat(back.changes().get(0).kind()).isEqualTo(Kind.CHANGED);
    assertThat(back.describe())
        .startsWith(
            "Plan: 0 new, 1 changed, 0 settings changed, 0 unchanged\n"
                + "~ user_activity: changed, version 2 -> back to version 1, served at window ends\n"
                + "    offline table "
                + table(ACTIVITY)
                + " (exists; version 2 keeps "
                + table(checkout)
                + ")\n");
    registry.apply(back);
    assertThat(registry.view("user_activity").orElseThrow().version()).isEqualTo(1);
    assertThat(registry.versions("user_activity"))
        .extracting(RegisteredView::version, RegisteredView::current)
        .containsExactly(tuple(1, true), tuple(2, false));
  }

  @Test
  void ttl_change_keeps_the_version_and_its_table() {
    Registry registry = Registry.open(url);
    registry.apply(registry.plan(List.of(ACTIVITY)));
    FeatureView longer =
        new FeatureView(
            ACTIVITY.name(),
            ACTIVITY.source(),
            ACTIVITY.features(),
            ACTIVITY.derived(),
            Duration.ofHours(3),
            ACTIVITY.availabilityDelay());

    Plan plan = registry.plan(List.of(longer));

    assertThat(plan.describe())
        .isEqualTo(
            "Plan: 0 new, 0 changed, 1 settings changed, 0 unchanged\n"
                + "~ user_activity: settings changed, version 1 stays, served at window ends\n"
                + "    offline table "
                + table(ACTIVITY)
                + " (unchanged)\n"
                + "    ttl 2h -> 3h\n");
    registry.apply(plan);
    RegisteredView latest = registry.view("user_activity").orElseThrow();
    assertThat(latest.version()).isEqualTo(1);
    assertThat(latest.definition().ttl()).isEqualTo(Duration.ofHours(3));
    assertThat(registry.plan(List.of(longer)).hasChanges()).isFalse();
  }

  @Test
  void latest_views_read_back_equal_definitions() {
    Registry registry = Registry.open(url);
    FeatureView checkout = withFilter(LIVE, "revenue_1h", Filter.equalTo("event_type", "checkout"));
    registry.apply(registry.plan(List.of(ACTIVITY, LIVE)));
    registry.apply(registry.plan(List.of(checkout)));

    List<RegisteredView> latest = registry.latestViews();

    assertThat(latest).extracting(RegisteredView::definition).containsExactly(ACTIVITY, checkout);
    assertThat(latest)
        .extracting(RegisteredView::fingerprint)
        .containsExactly(ViewPlan.of(ACTIVITY).fingerprint(), ViewPlan.of(checkout).fingerprint());
    assertThat(registry.view("nope")).isEmpty();
    assertThat(registry.view("user_activity", 2)).isEmpty();
  }

  @Test
  void views_left_out_of_the_definitions_are_listed_and_kept() {
    Registry registry = Registry.open(url);
    registry.apply(registry.plan(List.of(ACTIVITY, LIVE)));

    Plan plan = registry.plan(List.of(ACTIVITY));
    registry.apply(plan);

    assertThat(plan.describe())
        .endsWith(
            "Registered but not in these definitions (left as they are): user_activity_live"
                + " v1\n");
    assertThat(registry.latestViews()).hasSize(2);
  }

  @Test
  void plan_rejects_two_views_with_one_name() {
    Registry registry = Registry.open(url);
    assertThatThrownBy(() -> registry.plan(List.of(ACTIVITY, ACTIVITY)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("feature view 'user_activity' is given twice (view names must be unique)");
  }

  @Test
  void change_counter_moves_only_when_something_changed() {
    Registry registry = Registry.open(url);
    long empty = registry.changeCounter();
    registry.apply(registry.plan(List.of(ACTIVITY)));
    long afterFirst = registry.changeCounter();
    registry.apply(registry.plan(List.of(ACTIVITY)));
    long afterNoop = registry.changeCounter();
    registry.apply(registry.plan(List.of(ACTIVITY, LIVE)));

    assertThat(empty).isZero();
    assertThat(afterFirst).isGreaterThan(empty);
    assertThat(afterNoop).isEqualTo(afterFirst);
    assertThat(registry.changeCounter()).isGreaterThan(afterNoop);
  }

  // ---- concurrency

  @Test
  void concurrent_applies_of_the_same_definitions_register_once() throws Exception {
    int rounds = 10;
    List<List<Plan>> results = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      FeatureView v = UserActivity.view("view_" + round, Duration.ofMinutes(15), Duration.ZERO);
      results.add(applyConcurrently(List.of(v), List.of(v)));
    }

    for (List<Plan> pair : results) {
      assertThat(pair)
          .extracting(p -> p.changes().get(0).kind())
          .containsExactlyInAnyOrder(Kind.NEW, Kind.UNCHANGED);
    }
    assertThat(strings("SELECT count(*) FROM freshet.applies")).containsExactly("" + rounds);
    assertThat(strings("SELECT count(*), count(DISTINCT name) FROM freshet.feature_views"))
        .containsExactly(rounds + " " + rounds);
  }

  @Test
  void concurrent_applies_of_different_meanings_make_two_versions() throws Exception {
    FeatureView checkout =
        withFilter(ACTIVITY, "purchase_count_1h", Filter.equalTo("event_type", "checkout"));

    List<Plan> plans = applyConcurrently(List.of(ACTIVITY), List.of(checkout));

    assertThat(plans)
        .extracting(p -> p.changes().get(0).kind())
        .containsExactlyInAnyOrder(Kind.NEW, Kind.CHANGED);
    Registry registry = Registry.open(url);
    assertThat(registry.versions("user_activity"))
        .extracting(RegisteredView::version)
        .containsExactly(1, 2);
    assertThat(registry.versions("user_activity")).filteredOn(RegisteredView::current).hasSize(1);
  }

  /** Two threads open the registry, plan, meet, and apply at the same moment. */
  private List<Plan> applyConcurrently(List<FeatureView> a, List<FeatureView> b) throws Exception {
    CyclicBarrier planned = new CyclicBarrier(2);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Plan>> futures = new ArrayList<>();
      for (List<FeatureView> views : List.of(a, b)) {
        Callable<Plan> task =
            () -> {
              Registry registry = Registry.open(url);
              Plan plan = registry.plan(views);
              planned.await(30, TimeUnit.SECONDS);
              return registry.apply(plan);
            };
        futures.add(pool.submit(task));
      }
      List<Plan> out = new ArrayList<>();
      for (Future<Plan> f : futures) {
        out.add(f.get(60, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- helpers

  private static String table(FeatureView v) {
    return OfflineTable.of(ViewPlan.of(v)).qualifiedName();
  }

  private static FeatureView withFilter(FeatureView v, String feature, Filter filter) {
    List<Feature> features = new ArrayList<>();
    for (Feature f : v.features()) {
      features.add(
          f.name().equals(feature)
              ? new Feature(f.name(), f.aggregation(), filter, f.window())
              : f);
    }
    return new FeatureView(
        v.name(), v.source(), features, v.derived(), v.ttl(), v.availabilityDelay());
  }

  /** Each row of the query as its columns joined by a space. */
  private List<String> strings(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> cols = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          cols.add(rs.getString(i));
        }
        out.add(String.join(" ", cols));
      }
    }
    return out;
  }
}
