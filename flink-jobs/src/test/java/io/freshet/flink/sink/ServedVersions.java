package io.freshet.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.flink.sink.StoreContents.Served;
import io.freshet.flink.sink.StoreContents.Version;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks that the offline history of a {@link GeneratedRows} view records what the online table
 * served ({@code visible_at}), against stamps read from the online table itself: at the end, while
 * the job ran, and at chosen commit points. Rows name themselves by their {@code seq} value.
 */
final class ServedVersions {
  private ServedVersions() {}

  /** Rows seen online, by seq, with their stamps; and what went wrong seeing them. */
  static final class Observations {
    final Map<Long, Long> stamps = new ConcurrentHashMap<>();
    final List<String> problems = new CopyOnWriteArrayList<>();
    final AtomicInteger passes = new AtomicInteger();

    void add(Served s) {
      long seq = seq(s.row());
      Long before = stamps.putIfAbsent(seq, s.stampMicros());
      if (before != null && before != s.stampMicros()) {
        problems.add("row " + seq + " seen online with stamp " + before + ", then " + s);
      }
    }

    /**
     * Reads the online table and keeps the rows of {@code committable} it holds; a commit that
     * wrote online must have left at least one.
     */
    void addRowsOf(CheckpointCommittable committable, String redisUri, ViewPlan plan) {
      Set<Long> rows = new HashSet<>();
      for (FeatureRow r : ((RowCommittable) committable).rows()) {
        rows.add(seq(r));
      }
      int found = 0;
      for (Served s : StoreContents.onlineServed(redisUri, plan).values()) {
        if (rows.contains(seq(s.row()))) {
          add(s);
          found++;
        }
      }
      if (found == 0) {
        problems.add(committable + " wrote online, but the online table holds none of its rows");
      }
    }

    /** Reads the whole online table over and over until interrupted. */
    void sampleUntilInterrupted(String redisUri, ViewPlan plan) {
      while (!Thread.currentThread().isInterrupted()) {
        try {
          StoreContents.onlineServed(redisUri, plan).values().forEach(this::add);
          passes.incrementAndGet();
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          if (!Thread.currentThread().isInterrupted()) {
            problems.add("reading the online table failed: " + e);
          }
          return;
        }
      }
    }

    int size() {
      return stamps.size();
    }
  }

  /**
   * Checks the offline history against the online table:
   *
   * <ul>
   *   <li>each entity's row online at the end is its current offline version, with a {@code
   *       visible_at} equal to its online stamp;
   *   <li>so is every row in {@code seen}: a commit replayed after a failure or an outage recorded
   *       the instant the row was first served, not the instant of the replay;
   *   <li>each entity's versions with a {@code visible_at}, in (feature_ts, committed_at) order,
   *       have strictly increasing ones, the last being the row online: a row replaced online was
   *       visible before the row that replaced it.
   * </ul>
   *
   * @return how many versions have a {@code visible_at}
   */
  static long check(
      String jdbcUrl, ViewPlan plan, Map<String, Served> online, List<Observations> seen)
      throws Exception {
    for (Observations o : seen) {
      assertThat(o.problems).as("seeing rows online").isEmpty();
    }
    List<Version> versions = StoreContents.offlineHistory(jdbcUrl, plan);
    Map<Long, Version> bySeq = new HashMap<>();
    for (Version v : versions) {
      assertThat(bySeq.put(seq(v.row()), v)).as("versions of row %d", seq(v.row())).isNull();
    }
    for (Served s : online.values()) {
      Version v = bySeq.get(seq(s.row()));
      assertThat(v).as("offline version of online row %d", seq(s.row())).isNotNull();
      assertThat(v.supersededAt()).as("version of online row %d", seq(s.row())).isNull();
      assertThat(v.visibleAtMicros())
          .as("visible_at of row %d, online at the end", seq(s.row()))
          .isEqualTo(s.stampMicros());
    }
    for (Observations o : seen) {
      o.stamps.forEach(
          (seq, stamp) -> {
            Version v = bySeq.get(seq);
            assertThat(v).as("offline version of row %d, seen online", seq).isNotNull();
            assertThat(v.visibleAtMicros())
                .as("visible_at of row %d, seen online", seq)
                .isEqualTo(stamp);
          });
    }
    long served = 0;
    Map<String, Long> lastStamp = new HashMap<>();
    for (Version v : versions) { // in (entity, feature_ts, committed_at) order
      if (v.visibleAtMicros() == null) {
        continue;
      }
      served++;
      Long previous = lastStamp.put(v.row().entityKey(), v.visibleAtMicros());
      if (previous != null) {
        assertThat(v.visibleAtMicros())
            .as("visible_at of row %d after the entity's previous served version", seq(v.row()))
            .isGreaterThan(previous);
      }
    }
    for (Served s : online.values()) {
      assertThat(lastStamp.get(s.row().entityKey()))
          .as("the last served version of %s is the one online", s.row().entityKey())
          .isEqualTo(s.stampMicros());
    }
    return served;
  }

  static long seq(FeatureRow row) {
    return (Long) row.values()[0];
  }
}
