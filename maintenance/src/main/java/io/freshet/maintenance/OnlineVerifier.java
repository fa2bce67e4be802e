package io.freshet.maintenance;

import io.freshet.offline.OfflineSession;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.OfflineTable;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineReader;
import io.freshet.online.OnlineStoreUri;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compares the online table with the offline table for sampled entities: the online value of an
 * entity must be its latest current offline row, unless that row has outlived the view's TTL, in
 * which case there must be none.
 *
 * <p>The two stores commit at the same checkpoint but not in one transaction, so a live job can
 * show a difference for a moment; an entity that differs is checked again after {@code
 * recheckAfter} and reported only if it still differs.
 */
public final class OnlineVerifier {

  /** What is wrong with one entity's online value. */
  public enum Problem {
    /** The offline table has a servable row, the online table has none. */
    MISSING_ONLINE,
    /** The online value is for an older window than the offline table's latest row. */
    STALE_ONLINE,
    /** The online value is for a newer window than the offline table's latest row. */
    AHEAD_OF_OFFLINE,
    /** Same window, different values. */
    VALUES_DIFFER,
    /** The online table serves a value the offline table says has expired or never existed. */
    UNEXPECTED_ONLINE,
    /** The online value cannot be decoded with the view's plan. */
    UNDECODABLE
  }

  /** One entity whose online value does not match the offline table. */
  public record Mismatch(
      String view, String entity, Problem problem, FeatureRow offline, FeatureRow online) {
    @Override
    public String toString() {
      return view
          + " "
          + entity
          + ": "
          + problem
          + " (offline "
          + describe(offline)
          + ", online "
          + describe(online)
          + ")";
    }

    private static String describe(FeatureRow r) {
      return r == null
          ? "none"
          : Instant.ofEpochMilli(r.featureTs()) + " " + Arrays.toString(r.values());
    }
  }

  /** The outcome of a verification of one view. */
  public record Report(String view, int checked, List<Mismatch> mismatches) {
    public boolean ok() {
      return mismatches.isEmpty();
    }
  }

  /** The {@code application_name} of the verifier's Postgres sessions. */
  static final String APPLICATION_NAME = "freshet-verify";

  /** A tool's timeouts; the reader reconnects by itself. */
  private static final OnlineClients.Settings READER =
      new OnlineClients.Settings(Duration.ofSeconds(60), Duration.ofSeconds(10), null, false);

  private final String jdbcUrl;
  private final String redisUrl;
  private final Clock clock;

  public OnlineVerifier(String jdbcUrl, String redisUrl, Clock clock) {
    this.jdbcUrl = jdbcUrl;
    if (OnlineStoreUri.isCluster(redisUrl)) {
      throw new IllegalArgumentException(
          "verify talks to one Redis server (redis://host:port); it does not follow a Redis"
              + " Cluster's slots, so it cannot work on a redis-cluster:// URI");
    }
    this.redisUrl = redisUrl;
    this.clock = clock;
  }

  /**
   * Checks up to {@code sample} random entities of the view.
   *
   * @throws OfflineStoreException if the offline table cannot be read
   */
  public Report verify(ViewPlan plan, int sample, Duration recheckAfter) {
    OfflineTable table = OfflineTable.of(plan);
    try (OfflineSession offline = OfflineSession.open(jdbcUrl, APPLICATION_NAME);
        OnlineReader redis = OnlineReader.connect(redisUrl, READER)) {
      redis.requireConnected(READER.connectTimeout());
      List<String> entities = offline.sampleEntities(table, sample);
      List<Mismatch> suspects = new ArrayList<>();
      for (String entity : entities) {
        Mismatch m = check(offline, table, redis, plan, entity);
        if (m != null) {
          suspects.add(m);
        }
      }
      if (!suspects.isEmpty() && !recheckAfter.isZero()) {
        sleep(recheckAfter);
        List<Mismatch> confirmed = new ArrayList<>();
        for (Mismatch s : suspects) {
          Mismatch m = check(offline, table, redis, plan, s.entity());
          if (m != null) {
            confirmed.add(m);
          }
        }
        suspects = confirmed;
      }
      return new Report(plan.name(), entities.size(), List.copyOf(suspects));
    }
  }

  private Mismatch check(
      OfflineSession session,
      OfflineTable table,
      OnlineReader redis,
      ViewPlan plan,
      String entity) {
    FeatureRow offline = session.latestCurrentRow(table, entity);
    long now = clock.millis();
    long ttl = plan.ttl().toMillis();
    boolean servable = offline != null && now < offline.featureTs() + ttl;
    byte[] bytes = redis.awaitValue(plan, entity);
    FeatureRow online;
    try {
      online = bytes == null ? null : new OnlineCodec(plan).decode(entity, bytes);
    } catch (IllegalArgumentException e) {
      return new Mismatch(plan.name(), entity, Problem.UNDECODABLE, offline, null);
    }
    if (online == null) {
      return servable
          ? new Mismatch(plan.name(), entity, Problem.MISSING_ONLINE, offline, null)
          : null;
    }
    if (offline == null || !servable && online.featureTs() <= offline.featureTs()) {
      return new Mismatch(plan.name(), entity, Problem.UNEXPECTED_ONLINE, offline, online);
    }
    if (online.featureTs() < offline.featureTs()) {
      return new Mismatch(plan.name(), entity, Problem.STALE_ONLINE, offline, online);
    }
    if (online.featureTs() > offline.featureTs()) {
      return new Mismatch(plan.name(), entity, Problem.AHEAD_OF_OFFLINE, offline, online);
    }
    if (!Arrays.equals(online.values(), offline.values())) {
      return new Mismatch(plan.name(), entity, Problem.VALUES_DIFFER, offline, online);
    }
    return null;
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
