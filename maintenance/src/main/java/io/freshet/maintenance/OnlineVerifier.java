package io.freshet.maintenance;

import io.freshet.aggregate.RequestTimeRule;
import io.freshet.offline.OfflineSession;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.TileTable;
import io.freshet.offline.TileTableReads;
import io.freshet.online.EntityTiles;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineReader;
import io.freshet.online.OnlineStoreUri;
import io.freshet.online.StoredTile;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares the online table with the offline table for sampled entities: the online value of an
 * entity must be its latest current offline row, unless that row has outlived the view's TTL, in
 * which case there must be none.
 *
 * <p>A request-time view has a tile history instead of rows: its online tiles must be the history's
 * newest versions, byte for byte, for every tile a read can still select, and the value the gateway
 * serves from them ({@link RequestTimeRule} at the read's instant) must be the value of those
 * versions; once the history's newest tile has expired by the rule, nothing may be served.
 *
 * <p>The two stores commit at the same checkpoint but not in one transaction, so a live job can
 * show a difference for a moment; an entity that differs is checked again after {@code
 * recheckAfter} and reported only if it still differs.
 */
public final class OnlineVerifier {

  /**
   * What is wrong with one entity's online value. For a request-time view the kinds apply to its
   * tiles: the first tile (by start) that differs decides, then the served value.
   */
  public enum Problem {
    /**
     * The offline table has a servable row, the online table has none; or a tile a read can still
     * select is in the tile history but not online.
     */
    MISSING_ONLINE,
    /**
     * The online value is for an older window than the offline table's latest row; or an online
     * tile is an older version than the history's newest.
     */
    STALE_ONLINE,
    /**
     * The online value is for a newer window than the offline table's latest row; or an online tile
     * is a newer version than the history's newest, or not in the history at all (the job commits
     * online first, so this is what a commit in progress looks like).
     */
    AHEAD_OF_OFFLINE,
    /**
     * Same window, different values; or the same tile version with other bytes, or tiles that agree
     * but served values that do not.
     */
    VALUES_DIFFER,
    /**
     * The online table serves a value the offline table says has expired or never existed (for a
     * request-time view: the history's newest tile has expired by the rule, yet online tiles serve
     * a value).
     */
    UNEXPECTED_ONLINE,
    /** The online value (a row, or a tile's header or payload) cannot be decoded with the plan. */
    UNDECODABLE
  }

  /**
   * One entity whose online value does not match the offline table.
   *
   * @param offline the value the offline table says is served (for a request-time view: the rule
   *     over the newest tile versions at the online read's instant), or null
   * @param online the value the online table serves, or null
   * @param detail for a request-time view, the first tile that differs; else null
   */
  public record Mismatch(
      String view,
      String entity,
      Problem problem,
      FeatureRow offline,
      FeatureRow online,
      String detail) {
    /** A mismatch of a window-end view, where the rows say it all. */
    public Mismatch(
        String view, String entity, Problem problem, FeatureRow offline, FeatureRow online) {
      this(view, entity, problem, offline, online, null);
    }

    @Override
    public String toString() {
      return view
          + " "
          + entity
          + ": "
          + problem
          + (detail == null ? "" : ", " + detail)
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
    if (plan.requestTime()) {
      return verifyTiles(plan, sample, recheckAfter);
    }
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

  /**
   * {@link #verify} for a request-time view: per sampled entity of the tile history, the online
   * tiles must be the history's newest versions, and the value the gateway serves from them must be
   * the value of those versions.
   *
   * <p>The history is read first, then the online tiles with the store's clock ({@link
   * OnlineReader#awaitTiles}): the job commits online first, so a commit in between shows as {@link
   * Problem#AHEAD_OF_OFFLINE} (rechecked), never as a stale online tile. Compared at the online
   * read's instant {@code t}: every tile of the history a read at or after {@code t} can still
   * select ({@code RequestTimeRule#unneededFrom}), and the history's newest tile, which decides
   * expiry; older tiles the online write has not pruned yet are ignored. An entity whose newest
   * tile has expired by {@code t} ({@code RequestTimeRule#expiresAt}) must serve nothing.
   */
  private Report verifyTiles(ViewPlan plan, int sample, Duration recheckAfter) {
    TileTable table = TileTable.of(plan);
    RequestTimeRule rule = new RequestTimeRule(plan);
    try (OfflineSession offline = OfflineSession.open(jdbcUrl, APPLICATION_NAME);
        TileTableReads sampling = TileTableReads.open(jdbcUrl, APPLICATION_NAME);
        OnlineReader redis = OnlineReader.connect(redisUrl, READER)) {
      redis.requireConnected(READER.connectTimeout());
      List<String> entities = sampling.sampleEntities(table, sample);
      List<Mismatch> suspects = new ArrayList<>();
      for (String entity : entities) {
        Mismatch m = checkTiles(offline, table, rule, redis, plan, entity);
        if (m != null) {
          suspects.add(m);
        }
      }
      if (!suspects.isEmpty() && !recheckAfter.isZero()) {
        sleep(recheckAfter);
        List<Mismatch> confirmed = new ArrayList<>();
        for (Mismatch s : suspects) {
          Mismatch m = checkTiles(offline, table, rule, redis, plan, s.entity());
          if (m != null) {
            confirmed.add(m);
          }
        }
        suspects = confirmed;
      }
      return new Report(plan.name(), entities.size(), List.copyOf(suspects));
    }
  }

  private static Mismatch checkTiles(
      OfflineSession session,
      TileTable table,
      RequestTimeRule rule,
      OnlineReader redis,
      ViewPlan plan,
      String entity) {
    TreeMap<Long, Tile> history = new TreeMap<>();
    session.forEachNewestTile(
        table, null, List.of(entity), v -> history.put(v.tile().start(), v.tile()));
    EntityTiles read;
    try {
      read = redis.awaitTiles(plan, entity);
    } catch (IllegalArgumentException e) {
      return new Mismatch(plan.name(), entity, Problem.UNDECODABLE, null, null, e.getMessage());
    }
    long t = Math.floorDiv(read.readMicros(), 1000L);
    TreeMap<Long, Tile> online = new TreeMap<>();
    for (StoredTile st : read.tiles()) {
      online.put(st.start(), new Tile(entity, st.start(), st.version(), st.payload()));
    }
    FeatureRow offlineValue;
    FeatureRow onlineValue;
    try {
      offlineValue = rule.valueAt(entity, history.values(), t);
    } catch (UncheckedIOException e) {
      throw new IllegalStateException(
          "the tile history of '"
              + plan.name()
              + "' holds a tile it cannot read: "
              + e.getMessage(),
          e);
    }
    try {
      onlineValue = rule.valueAt(entity, online.values(), t);
    } catch (UncheckedIOException e) {
      return new Mismatch(
          plan.name(), entity, Problem.UNDECODABLE, offlineValue, null, e.getMessage());
    }
    boolean expired = history.isEmpty() || t >= rule.expiresAt(history.lastKey());
    if (expired) {
      return onlineValue == null
          ? null
          : new Mismatch(
              plan.name(),
              entity,
              Problem.UNEXPECTED_ONLINE,
              null,
              onlineValue,
              history.isEmpty()
                  ? "no tile in the history"
                  : "newest tile "
                      + Instant.ofEpochMilli(history.lastKey())
                      + " expired at "
                      + Instant.ofEpochMilli(rule.expiresAt(history.lastKey())));
    }
    // The tiles a read from t on may select, and the newest of either side (it decides expiry).
    TreeSet<Long> starts = new TreeSet<>();
    for (Long s : history.keySet()) {
      if (!rule.unneededFrom(s, t)) {
        starts.add(s);
      }
    }
    for (Long s : online.keySet()) {
      if (!rule.unneededFrom(s, t)) {
        starts.add(s);
      }
    }
    starts.add(history.lastKey());
    if (!online.isEmpty()) {
      starts.add(online.lastKey());
    }
    for (long s : starts) {
      Tile off = history.get(s);
      Tile on = online.get(s);
      Problem p = null;
      if (on == null) {
        p = Problem.MISSING_ONLINE;
      } else if (off == null || on.version() > off.version()) {
        p = Problem.AHEAD_OF_OFFLINE;
      } else if (on.version() < off.version()) {
        p = Problem.STALE_ONLINE;
      } else if (!Arrays.equals(on.payload(), off.payload())) {
        p = Problem.VALUES_DIFFER;
      }
      if (p != null) {
        return new Mismatch(
            plan.name(),
            entity,
            p,
            offlineValue,
            onlineValue,
            "tile "
                + Instant.ofEpochMilli(s)
                + ": offline "
                + (off == null ? "none" : "v" + off.version())
                + ", online "
                + (on == null ? "none" : "v" + on.version())
                + (p == Problem.VALUES_DIFFER ? " with other bytes" : ""));
      }
    }
    if (!Objects.equals(offlineValue, onlineValue)) {
      return new Mismatch(
          plan.name(),
          entity,
          Problem.VALUES_DIFFER,
          offlineValue,
          onlineValue,
          "the tiles agree, the served values do not");
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
