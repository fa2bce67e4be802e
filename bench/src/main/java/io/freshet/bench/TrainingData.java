package io.freshet.bench;

import io.freshet.offline.ListValues;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.EntityKey;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The data of the training-set benchmark: the {@code user_activity} offline table as the streaming
 * job leaves it, and a deterministic label set.
 *
 * <p>The table is created with {@link OfflineTable#createStatements()}, the statements Freshet runs
 * itself, and filled through {@code COPY} in primary-key order. Each user has bursts of activity; a
 * burst's events fall into 15-minute slices, and the 1 h windows sliding every 15 min over them
 * give one row per window end whose values changed (the operator writes change rows only), from the
 * first slice's end until the window has slid past the burst. About 3% of (entity, window) pairs
 * also keep an earlier, superseded version (a late event rewrote the window), committed a few
 * minutes before the current one, as the offline sink's insert-or-supersede leaves it. Every value
 * is a function of the seed, the user and the row count, so a table built with the same parameters
 * is the same table.
 *
 * <p>A generated table is kept across runs: its parameters are recorded in {@code
 * freshet_bench.generated}, and the table is rebuilt only when they differ.
 */
final class TrainingData {
  /** Bumped whenever the generator changes what it writes. */
  static final int GENERATOR_VERSION = 1;

  /** The first window end of the history (fixed, so that the data does not depend on the day). */
  static final Instant HISTORY_START = Instant.parse("2025-09-01T00:00:00Z");

  static final long SLICE_MICROS = Duration.ofMinutes(15).toNanos() / 1000;

  private static final String[] PLATFORMS = {"web", "ios", "android"};

  private TrainingData() {}

  /** What the generated table holds; {@link #fingerprint()} names it. */
  record Shape(long rows, int users, long seed, int historyDays) {
    String fingerprint(ViewPlan plan) {
      return "v"
          + GENERATOR_VERSION
          + " table="
          + OfflineTable.of(plan).tableName()
          + " rows="
          + rows
          + " users="
          + users
          + " seed="
          + seed
          + " days="
          + historyDays
          + " ddl="
          + ddlDigest(plan);
    }

    /**
     * A digest of the table's DDL, so that a table created by an older {@link
     * OfflineTable#createStatements()} (say, another collation) is regenerated, not reused.
     */
    private static String ddlDigest(ViewPlan plan) {
      try {
        byte[] d =
            MessageDigest.getInstance("SHA-256")
                .digest(
                    String.join(";\n", OfflineTable.of(plan).createStatements())
                        .getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(d, 0, 6);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    long slices() {
      return historyDays * 96L;
    }
  }

  /**
   * Makes sure the offline table of {@code plan} holds the rows of {@code shape}, generating them
   * only if the recorded fingerprint differs.
   *
   * @return whether the table was (re)generated
   */
  static boolean ensureTable(String url, ViewPlan plan, Shape shape) throws SQLException {
    OfflineTable table = OfflineTable.of(plan);
    String fingerprint = shape.fingerprint(plan);
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS freshet_bench");
      s.execute(
          "CREATE TABLE IF NOT EXISTS freshet_bench.generated"
              + " (name text PRIMARY KEY, fingerprint text NOT NULL, generated_at timestamptz)");
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT fingerprint FROM freshet_bench.generated WHERE name = ?"
                  + " AND to_regclass(?) IS NOT NULL")) {
        ps.setString(1, table.tableName());
        ps.setString(2, table.qualifiedName());
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && rs.getString(1).equals(fingerprint)) {
            return false;
          }
        }
      }
      s.execute("DELETE FROM freshet_bench.generated WHERE name = '" + table.tableName() + "'");
      s.execute("DROP TABLE IF EXISTS " + table.qualifiedName());
      for (String sql : table.createStatements()) {
        s.execute(sql);
      }
      long start = System.nanoTime();
      long written = fill(c, plan, shape);
      if (written != shape.rows()) {
        throw new IllegalStateException("generated " + written + " rows, wanted " + shape.rows());
      }
      System.out.printf(
          "training: generated %d offline rows for %d users in %.1f s%n",
          written, shape.users(), (System.nanoTime() - start) / 1e9);
      // A table the streaming job has been writing for weeks has been vacuumed and analyzed.
      s.execute("VACUUM ANALYZE " + table.qualifiedName());
      try (PreparedStatement ps =
          c.prepareStatement("INSERT INTO freshet_bench.generated VALUES (?, ?, now())")) {
        ps.setString(1, table.tableName());
        ps.setString(2, fingerprint);
        ps.executeUpdate();
      }
      return true;
    }
  }

  static String userId(int user) {
    return String.format("user-%06d", user);
  }

  /** Writes every user's rows, in (entity_key, feature_ts, committed_at) order, through COPY. */
  private static long fill(Connection c, ViewPlan plan, Shape shape) throws SQLException {
    List<FeaturePart> parts = plan.parts();
    StringBuilder columns = new StringBuilder("entity_key, feature_ts");
    for (FeaturePart p : parts) {
      columns.append(", \"").append(p.name()).append('"');
    }
    columns.append(", committed_at, superseded_at"); // visible_at: null, never served online
    CopyIn in =
        c.unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn(
                "COPY " + OfflineTable.of(plan).qualifiedName() + " (" + columns + ") FROM STDIN");
    long written = 0;
    try {
      StringBuilder sb = new StringBuilder(1 << 21);
      long perUser = shape.rows() / shape.users();
      long extra = shape.rows() % shape.users();
      for (int u = 0; u < shape.users(); u++) {
        long quota = perUser + (u < extra ? 1 : 0);
        written += user(sb, parts, shape, u, quota);
        if (sb.length() >= 1 << 20) {
          flush(in, sb);
        }
      }
      flush(in, sb);
      in.endCopy();
    } finally {
      if (in.isActive()) {
        in.cancelCopy();
      }
    }
    return written;
  }

  private static void flush(CopyIn in, StringBuilder sb) throws SQLException {
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    in.writeToCopy(bytes, 0, bytes.length);
    sb.setLength(0);
  }

  /** The slice aggregates of one 15-minute slice of a burst. */
  private record Slice(long events, long purchases, double revenue, long sessions, long products) {}

  /** Appends the {@code quota} rows of user {@code u}; returns how many (always quota). */
  /** Receives the versions of one user's rows, in primary-key order. */
  private interface Rows {
    /** A version; {@code supersededMicros} is -1 for the current one. */
    void version(long featureMicros, Object[] values, long committedMicros, long supersededMicros);
  }

  private static long user(
      StringBuilder sb, List<FeaturePart> parts, Shape shape, int u, long quota) {
    String key = copyEscape(EntityKey.of(List.of(userId(u))));
    return user(parts, shape, u, quota, (f, v, c, x) -> row(sb, key, f, parts, v, c, x));
  }

  /** The feature_ts (epoch µs) of every current row of every user, in time order. */
  static long[][] currentRowTimes(ViewPlan plan, Shape shape) {
    long[][] times = new long[shape.users()][];
    long perUser = shape.rows() / shape.users();
    long extra = shape.rows() % shape.users();
    long[] buffer = new long[(int) perUser + 1];
    for (int u = 0; u < shape.users(); u++) {
      int[] n = {0};
      user(
          plan.parts(),
          shape,
          u,
          perUser + (u < extra ? 1 : 0),
          (f, v, c, x) -> {
            if (x < 0) {
              buffer[n[0]++] = f;
            }
          });
      times[u] = Arrays.copyOf(buffer, n[0]);
    }
    return times;
  }

  private static long user(List<FeaturePart> parts, Shape shape, int u, long quota, Rows out) {
    if (quota == 0) {
      return 0;
    }
    SplittableRandom r = new SplittableRandom(shape.seed() * 1_000_003L + u);
    String platform = PLATFORMS[r.nextInt(PLATFORMS.length)];
    long slices = shape.slices();
    // A burst gives about 6 rows and takes about 7 slices; spread the bursts so that the user's
    // rows end at about 90% of the history on average (a few run past its end, which is harmless).
    double bursts = Math.max(1.0, quota / 6.0);
    long meanGap = Math.max(0, (long) ((0.9 * slices - bursts * 7) / bursts));
    long slice = r.nextLong(meanGap + 1);
    long n = 0;
    Object[] previous = null;
    while (n < quota) {
      int busy = 1 + r.nextInt(5); // slices with events
      Slice[] b = new Slice[busy];
      for (int i = 0; i < busy; i++) {
        long events = 1 + r.nextInt(12);
        long purchases = r.nextInt(10) == 0 ? 1 + r.nextInt(2) : 0;
        double revenue = 0;
        for (int p = 0; p < purchases; p++) {
          revenue += (500 + r.nextInt(20_000)) / 100.0;
        }
        b[i] = new Slice(events, purchases, revenue, 1 + r.nextInt(2), r.nextInt((int) events + 1));
      }
      if (r.nextInt(20) == 0) {
        platform = PLATFORMS[r.nextInt(PLATFORMS.length)];
      }
      // window ends slice+1 .. slice+busy+3: each 1 h window holds the 4 slices before its end
      for (int end = 1; end <= busy + 3 && n < quota; end++) {
        long events = 0;
        long purchases = 0;
        double revenue = 0;
        long sessions = 0;
        long products = 0;
        for (int i = Math.max(0, end - 4); i < Math.min(busy, end); i++) {
          events += b[i].events();
          purchases += b[i].purchases();
          revenue += b[i].revenue();
          sessions += b[i].sessions();
          products += b[i].products();
        }
        if (events == 0) {
          break;
        }
        Object[] values = new Object[parts.size()];
        for (FeaturePart p : parts) {
          values[p.index()] =
              switch (p.name()) {
                case "event_count_1h" -> events;
                case "purchase_count_1h" -> purchases;
                case "revenue_1h" -> Math.round(revenue * 100) / 100.0;
                case "session_count_1h" -> Math.min(sessions, 3);
                case "unique_products_1h" -> products;
                case "last_platform" -> platform;
                case "conversion_rate_1h" -> (double) purchases / events;
                case "avg_revenue_per_purchase_1h" ->
                    purchases == 0 ? 0.0 : Math.round(revenue * 100) / 100.0 / purchases;
                default -> fallback(p, r);
              };
        }
        if (previous != null && Arrays.equals(previous, values)) {
          continue; // the operator writes changed rows only
        }
        previous = values;
        long ts = slice + end;
        long featureMicros = micros(HISTORY_START) + ts * SLICE_MICROS;
        long committed = featureMicros + 600_000_000L + r.nextLong(30_000_000L);
        if (n + 1 < quota && r.nextInt(33) == 0) {
          // an earlier version, superseded when a late event changed the window
          Object[] early = values.clone();
          for (FeaturePart p : parts) {
            if (early[p.index()] instanceof Long l && l > 0) {
              early[p.index()] = l - 1;
              break;
            }
          }
          long later = committed + 60_000_000L + r.nextLong(600_000_000L);
          out.version(featureMicros, early, committed, later);
          committed = later;
          n++;
        }
        out.version(featureMicros, values, committed, -1);
        n++;
      }
      previous = null;
      slice += busy + 4 + r.nextLong(2 * meanGap + 1);
    }
    return n;
  }

  private static Object fallback(FeaturePart p, SplittableRandom r) {
    return switch (p.type()) {
      case INT64 -> (long) r.nextInt(100);
      case FLOAT64 -> r.nextInt(10_000) / 100.0;
      case STRING -> PLATFORMS[r.nextInt(PLATFORMS.length)];
      case STRING_LIST -> List.of(PLATFORMS[r.nextInt(PLATFORMS.length)]);
    };
  }

  private static void row(
      StringBuilder sb,
      String key,
      long featureMicros,
      List<FeaturePart> parts,
      Object[] values,
      long committedMicros,
      long supersededMicros) {
    sb.append(key).append('\t');
    timestamp(sb, featureMicros);
    for (FeaturePart p : parts) {
      sb.append('\t');
      Object v = values[p.index()];
      if (v == null) {
        sb.append("\\N");
      } else if (v instanceof List<?> l) {
        sb.append(copyEscape(ListValues.literal(l)));
      } else if (v instanceof String s) {
        sb.append(copyEscape(s));
      } else {
        sb.append(v);
      }
    }
    sb.append('\t');
    timestamp(sb, committedMicros);
    sb.append('\t');
    if (supersededMicros < 0) {
      sb.append("\\N");
    } else {
      timestamp(sb, supersededMicros);
    }
    sb.append('\n');
  }

  private static void timestamp(StringBuilder sb, long micros) {
    Instant t = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L));
    sb.append(t.toString(), 0, 19).append('.');
    String frac = Long.toString(1_000_000L + Math.floorMod(micros, 1_000_000L));
    sb.append(frac, 1, 7).append("+00");
  }

  static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
  }

  private static String copyEscape(String s) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      String rep =
          switch (ch) {
            case '\\' -> "\\\\";
            case '\t' -> "\\t";
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            default -> null;
          };
      if (rep != null && b == null) {
        b = new StringBuilder(s.substring(0, i));
      }
      if (b != null) {
        if (rep != null) {
          b.append(rep);
        } else {
          b.append(ch);
        }
      }
    }
    return b == null ? s : b.toString();
  }

  // ---- labels

  /** The labels: id i at {@code ids[i] == i}, user index, time in epoch ms, target. */
  record Labels(int[] users, long[] millis, int[] targets) {
    int size() {
      return users.length;
    }
  }

  /**
   * Generates {@code count} labels, each for a random user: about half at a random instant from one
   * of the user's rows to 30 minutes after it expires (where labels are: near activity), 10%
   * exactly at a window end from 0 to 8 slices after one of its rows (the window end itself, not
   * yet available; 2 h later, just expired), 5% exactly when one of its rows becomes available (its
   * window end + delay), 5% before the user's first row, and 30% at uniformly random milliseconds
   * from the start of the history to its end plus the TTL.
   */
  static Labels labels(
      ViewPlan plan, Shape shape, int count, long seed, Duration delay, Duration ttl) {
    long[][] rows = currentRowTimes(plan, shape);
    SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
    long start = HISTORY_START.toEpochMilli();
    long slice = SLICE_MICROS / 1000;
    long end = start + shape.slices() * slice + ttl.toMillis();
    int[] users = new int[count];
    long[] millis = new long[count];
    int[] targets = new int[count];
    for (int i = 0; i < count; i++) {
      int u = r.nextInt(shape.users());
      long[] times = rows[u];
      int kind = r.nextInt(20);
      long t;
      if (times.length == 0 || kind >= 14) {
        t = start + r.nextLong(end - start);
      } else {
        long f = times[r.nextInt(times.length)] / 1000;
        if (kind < 10) {
          t = f + r.nextLong(ttl.toMillis() + Duration.ofMinutes(30).toMillis());
        } else if (kind < 12) {
          t = f + r.nextInt(9) * slice;
        } else if (kind == 12) {
          t = f + delay.toMillis();
        } else {
          long first = times[0] / 1000;
          t = first > start ? start + r.nextLong(first - start) : first - 1 - r.nextInt(1000);
        }
      }
      users[i] = u;
      millis[i] = t;
      targets[i] = r.nextInt(10) == 0 ? 1 : 0;
    }
    return new Labels(users, millis, targets);
  }

  /** Writes the labels as the CSV file a user hands to {@code freshet training-set}. */
  static void writeCsv(Labels labels, Path file) throws IOException {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("label_id,user_id,event_timestamp,target\n");
      for (int i = 0; i < labels.size(); i++) {
        w.write(
            i
                + ","
                + userId(labels.users()[i])
                + ","
                + labels.millis()[i]
                + ","
                + labels.targets()[i]
                + "\n");
      }
    }
  }
}
