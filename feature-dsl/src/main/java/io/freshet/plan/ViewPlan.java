package io.freshet.plan;

import io.freshet.dsl.DerivedFeature;
import io.freshet.dsl.Durations;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.PostgresTableSource;
import io.freshet.dsl.Serving;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The normalized form of a {@link FeatureView}, and the only form engines and the gateway read: the
 * source ({@link SourcePlan}), the keys, TTL and availability delay, the slide and the slice length
 * shared by every window, the parts with their storage names, addressed by what they are ({@link
 * #aggregatedParts()}, {@link #derivedParts()}), and a fingerprint of the view's meaning.
 *
 * <p>The fingerprint is a SHA-256 over the canonical {@link #describe() description}: any change of
 * meaning (a filter, a window, a feature's name or type, the key, the event-time field) changes it;
 * a change of TTL or availability delay does not, since neither changes the stored values.
 */
public final class ViewPlan implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  private final FeatureView view;
  private final SourcePlan source;
  private final List<FeaturePart> parts;
  private final List<FeaturePart.Aggregated> aggregatedParts;
  private final List<FeaturePart.Derived> derivedParts;
  private final List<FeaturePart.Column> columnParts;
  private final TableSourcePlan table;
  private final long slideMillis;
  private final long sliceMillis;
  private final long maxWindowMillis;
  private final String fingerprint;

  private ViewPlan(FeatureView view) {
    this.view = view;
    if (view.source() instanceof PostgresTableSource t) {
      // A table-sourced view: columns only, no windows (slide, slice and window are 0).
      this.source = SourcePlan.of(t);
      this.table = TableSourcePlan.of(t);
      List<FeaturePart.Column> columns = new ArrayList<>();
      int i = 0;
      for (Feature f : view.features()) {
        columns.add(new FeaturePart.Column(i++, f.name(), f.column().column(), f.column().type()));
      }
      this.columnParts = List.copyOf(columns);
      this.parts = List.copyOf(columns);
      this.aggregatedParts = List.of();
      this.derivedParts = List.of();
      this.slideMillis = 0;
      this.sliceMillis = 0;
      this.maxWindowMillis = 0;
      this.fingerprint = sha256(meaning());
      return;
    }
    this.table = null;
    this.columnParts = List.of();
    this.source = SourcePlan.of((KafkaJsonSource) view.source());
    List<FeaturePart.Aggregated> aggregated = new ArrayList<>();
    List<FeaturePart.Derived> derived = new ArrayList<>();
    long slide = view.slide().toMillis();
    long slice = slide;
    long maxWindow = 0;
    int index = 0;
    for (Feature f : view.features()) {
      if (f.window().isLifetime()) {
        aggregated.add(
            new FeaturePart.Aggregated(
                index++, f.name(), f.aggregation(), f.filter(), FeaturePart.Aggregated.LIFETIME));
        continue;
      }
      long size = f.window().size().toMillis();
      slice = gcd(slice, size);
      maxWindow = Math.max(maxWindow, size);
      aggregated.add(
          new FeaturePart.Aggregated(index++, f.name(), f.aggregation(), f.filter(), size));
    }
    if (view.serving().tile() != null) {
      slice = gcd(slice, view.serving().tile().toMillis());
    }
    for (DerivedFeature d : view.derived()) {
      derived.add(new FeaturePart.Derived(index++, d.name(), d.expression()));
    }
    List<FeaturePart> ps = new ArrayList<>(aggregated);
    ps.addAll(derived);
    this.parts = List.copyOf(ps);
    this.aggregatedParts = List.copyOf(aggregated);
    this.derivedParts = List.copyOf(derived);
    this.slideMillis = slide;
    this.sliceMillis = slice;
    // A view of lifetime features only keeps its slices for one slide before folding them.
    this.maxWindowMillis = maxWindow == 0 ? slide : maxWindow;
    this.fingerprint = sha256(meaning());
  }

  /** Normalizes a view. */
  public static ViewPlan of(FeatureView view) {
    return new ViewPlan(view);
  }

  /**
   * The user's definition this plan was normalized from, for the definitions store and the JSON
   * form, which keep the definition as it was written. Engines read the plan's own accessors.
   */
  public FeatureView view() {
    return view;
  }

  public String name() {
    return view.name();
  }

  /** Where the events come from and how their time is judged. */
  public SourcePlan source() {
    return source;
  }

  /** The fields that make the entity key, in order: the join keys of lookups and training sets. */
  public List<String> keyFields() {
    return source.keyFields();
  }

  /** How long after its window end a value is still served. */
  public Duration ttl() {
    return view.ttl();
  }

  /** How long after its window end a value becomes visible to point-in-time training joins. */
  public Duration availabilityDelay() {
    return view.availabilityDelay();
  }

  /** Every part, aggregated ones first, in the order of values in rows. */
  public List<FeaturePart> parts() {
    return parts;
  }

  /** The parts aggregated from events, in part order; the operator keeps one accumulator each. */
  public List<FeaturePart.Aggregated> aggregatedParts() {
    return aggregatedParts;
  }

  /** The parts derived from other parts, in part order. */
  public List<FeaturePart.Derived> derivedParts() {
    return derivedParts;
  }

  /** The parts read from columns of a table-sourced view's rows, in part order. */
  public List<FeaturePart.Column> columnParts() {
    return columnParts;
  }

  /** Whether the view's rows come from a Postgres table or query, by {@code materialize}. */
  public boolean tableSourced() {
    return table != null;
  }

  /**
   * The table or query of a table-sourced view.
   *
   * @throws IllegalStateException for a view over Kafka events
   */
  public TableSourcePlan tableSource() {
    if (table == null) {
      throw new IllegalStateException(
          "feature view '" + name() + "' reads Kafka topic '" + source.topic() + "', not a table");
    }
    return table;
  }

  /** The interval at which every window of the view fires. */
  public Duration slide() {
    return Duration.ofMillis(slideMillis);
  }

  /** Windows fire every slide. */
  public long slideMillis() {
    return slideMillis;
  }

  /** The pre-aggregation unit: gcd of the slide and every window size. */
  public long sliceMillis() {
    return sliceMillis;
  }

  /** Whether the view is served at request time from tiles (see {@link Serving}). */
  public boolean requestTime() {
    return view.serving().requestTimeMode();
  }

  /** How the view is served. */
  public Serving.Mode servingMode() {
    return view.serving().mode();
  }

  /**
   * The tile of a request-time view: the operator's slice, which the view may declare finer than
   * its slide; it divides every window size.
   */
  public long tileMillis() {
    return sliceMillis;
  }

  /** How long after the watermark a late event still updates its windows. */
  public long allowedLatenessMillis() {
    return source.allowedLateness().toMillis();
  }

  /**
   * The longest finite window of the view (lifetime parts have none), or the slide when every
   * aggregated part is a lifetime one.
   */
  public long maxWindowMillis() {
    return maxWindowMillis;
  }

  /** Hex SHA-256 of the view's meaning. */
  public String fingerprint() {
    return fingerprint;
  }

  /**
   * The version tag that separates stored data of different meanings: the first 10 hex digits of
   * the fingerprint. It is part of the offline table name and of every online key.
   */
  public String versionTag() {
    return fingerprint.substring(0, 10);
  }

  /** A part by its name. */
  public FeaturePart part(String partName) {
    for (FeaturePart p : parts) {
      if (p.name().equals(partName)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "feature view '" + name() + "' has no feature '" + partName + "'");
  }

  /** The human-readable plan, stable across runs: used in golden tests and by {@code apply}. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append(meaning());
    sb.append("ttl ").append(view.expires() ? Durations.format(view.ttl()) : "none").append('\n');
    sb.append("availability delay ").append(Durations.format(view.availabilityDelay()));
    sb.append('\n');
    sb.append("fingerprint ").append(fingerprint).append('\n');
    return sb.toString();
  }

  private String meaning() {
    SourcePlan src = source;
    StringBuilder sb = new StringBuilder();
    sb.append("view ").append(view.name()).append('\n');
    if (table != null) {
      sb.append("source postgres-table ");
      sb.append(table.table() != null ? "table=" + table.table() : "query=" + table.query());
      sb.append(" key=").append(String.join(",", table.keyColumns()));
      sb.append(" timestamp=").append(table.timestampColumn()).append('\n');
      for (FeaturePart p : parts) {
        sb.append("  ").append(p.describe()).append('\n');
      }
      return sb.toString();
    }
    sb.append("source kafka-json topic=").append(src.topic());
    sb.append(" key=").append(String.join(",", src.keyFields()));
    sb.append(" event_time=").append(src.eventTimeField());
    sb.append(" out_of_orderness=").append(Durations.format(src.maxOutOfOrderness()));
    if (!src.allowedLateness().isZero()) {
      sb.append(" allowed_lateness=").append(Durations.format(src.allowedLateness()));
    }
    sb.append('\n');
    sb.append("slide ").append(Durations.format(Duration.ofMillis(slideMillis)));
    sb.append(" slice ").append(Durations.format(Duration.ofMillis(sliceMillis))).append('\n');
    if (requestTime()) {
      // Only a request-time view says how it is served: every window-end view keeps the
      // fingerprint it had before serving modes existed.
      sb.append("serving request_time tile ")
          .append(Durations.format(Duration.ofMillis(sliceMillis)))
          .append('\n');
    }
    for (FeaturePart p : parts) {
      sb.append("  ").append(p.describe()).append('\n');
    }
    return sb.toString();
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  private static String sha256(String text) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }

  @Override
  public String toString() {
    return "ViewPlan[" + name() + "@" + versionTag() + "]";
  }
}
