package io.freshet.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.examples.UserActivity;
import io.freshet.gateway.online.FeatureStatus;
import io.freshet.gateway.online.OnlineTableReader;
import io.freshet.gateway.online.RowKey;
import io.freshet.gateway.online.RowRead;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineReader;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestRedis;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A window-end row's status is judged at the online store's instant of its read, the instant the
 * read reports, never by the gateway's own clock: readers whose clocks are a day off judge as the
 * store's clock does, and around the TTL edge every read's status follows {@code feature_ts + ttl
 * <= instant} to the microsecond. Keys of their own (a random prefix) in the test Redis; nothing is
 * flushed.
 */
class StoreInstantStatusTest {
  private static final String RUN = "store-instant-" + UUID.randomUUID() + "-";
  private static final ViewPlan PLAN = ViewPlan.of(UserActivity.view());
  private static final Duration DAY = Duration.ofDays(1);

  private static OnlineReader store;
  private static OnlineTableWriter table;

  @BeforeAll
  static void start() {
    store =
        OnlineReader.connect(TestRedis.uri(GatewayFixture.DB), OnlineClients.Settings.forTool());
    store.requireConnected(Duration.ofSeconds(10));
    table = new OnlineTableWriter(TestRedis.uri(GatewayFixture.DB));
  }

  @AfterAll
  static void stop() {
    if (table != null) {
      table.close();
    }
    if (store != null) {
      store.close();
    }
  }

  private static OnlineTableReader readerWithClockAt(Instant at) {
    return new OnlineTableReader(store, Clock.fixed(at, ZoneOffset.UTC));
  }

  private static RowRead read(OnlineTableReader reader, String entity) {
    return reader.read(PLAN, RUN + entity).toCompletableFuture().join();
  }

  /** The online store's clock now, in epoch microseconds, as a read reports it. */
  private static long storeMicros() {
    return store.awaitRow(PLAN, RUN + "clock").readMicros();
  }

  @Test
  void the_status_follows_the_stores_clock_not_the_gateways() {
    long now = storeMicros() / 1000;
    long ttl = PLAN.ttl().toMillis();
    long keepUntil = now + Duration.ofMinutes(5).toMillis();
    table.writeExpiringAt(
        PLAN, ActivityRows.of(RUN + "fresh", now - ttl / 2, 3, 1, 2.0), keepUntil);
    table.writeExpiringAt(
        PLAN, ActivityRows.of(RUN + "stale", now - ttl - 60_000, 4, 1, 2.0), keepUntil);

    OnlineTableReader ahead = readerWithClockAt(Instant.ofEpochMilli(now).plus(DAY));
    OnlineTableReader behind = readerWithClockAt(Instant.ofEpochMilli(now).minus(DAY));
    for (OnlineTableReader reader : List.of(ahead, behind)) {
      RowRead fresh = read(reader, "fresh");
      RowRead stale = read(reader, "stale");
      assertThat(fresh.found().status()).isEqualTo(FeatureStatus.PRESENT);
      assertThat(stale.found().status()).isEqualTo(FeatureStatus.OUTSIDE_MAX_AGE);
      assertThat(fresh.readMicros()).isGreaterThanOrEqualTo(now * 1000);
      assertThat(stale.found().row().values()[0]).isEqualTo(4L);
    }
  }

  @Test
  void around_the_ttl_edge_each_read_is_judged_at_the_instant_it_reports() {
    long ttl = PLAN.ttl().toMillis();
    long edge = storeMicros() / 1000 + 50;
    long featureTs = edge - ttl;
    table.writeExpiringAt(PLAN, ActivityRows.of(RUN + "edge", featureTs, 1, 0, 0.0), edge + 60_000);
    OnlineTableReader reader = readerWithClockAt(Instant.EPOCH);
    RowKey key = new RowKey(PLAN, RUN + "edge");
    int present = 0;
    int outside = 0;
    long last = Long.MIN_VALUE;
    while (last < (edge + 5) * 1000) {
      RowRead read = reader.readAll(List.of(key)).toCompletableFuture().join().get(0);
      assertThat(read.readMicros()).isGreaterThanOrEqualTo(last);
      last = read.readMicros();
      FeatureStatus expected =
          featureTs * 1000 + ttl * 1000 <= last
              ? FeatureStatus.OUTSIDE_MAX_AGE
              : FeatureStatus.PRESENT;
      assertThat(read.found().status()).as("read at %d µs", last).isEqualTo(expected);
      if (expected == FeatureStatus.PRESENT) {
        present++;
      } else {
        outside++;
      }
    }
    assertThat(outside).isPositive();
    System.out.printf("TTL edge: %d reads before it, %d from it on%n", present, outside);
  }
}
