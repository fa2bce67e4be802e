package io.freshet.registry;

import io.freshet.dsl.FeatureView;
import io.freshet.dsl.json.DefinitionJson;
import io.freshet.offline.FreshetSchema;
import io.freshet.registry.ViewChange.Kind;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The applied definitions, in Postgres: so that the gateway and the training-set builder know every
 * view without the user's jar.
 *
 * <p>Each view name has versions 1, 2, 3... one per meaning (fingerprint) in the order the meanings
 * were first applied; each version has its own offline table {@code
 * freshet."{name}__{versionTag}"}, so old and new values are never mixed. One version per name is
 * current: the one applied last.
 *
 * <pre>{@code
 * Registry registry = Registry.open("jdbc:postgresql://localhost:5432/freshet?user=freshet");
 * Plan plan = registry.plan(views);
 * System.out.print(plan.describe());   // + user_activity: new, version 1 ...
 * registry.apply(plan);
 * registry.view("user_activity").orElseThrow().definition();
 * }</pre>
 *
 * <p>Tables, in schema {@code freshet} (migrated with everything else in the schema by {@link
 * FreshetSchema}, history in {@code freshet.flyway_schema_history}):
 *
 * <pre>
 * applies          id (identity), applied_at, applied_by, summary       -- one per apply that changed
 * feature_views    name, version, fingerprint, version_tag, definition_json (text),
 *                  is_current, applied_at, updated_at, apply_id
 *                  primary key (name, version), unique (name, fingerprint), unique (name, version_tag),
 *                  at most one current row per name
 * feature_services name, version, definition_json, applied_at          -- reserved for services
 * </pre>
 *
 * <p>Thread-safe: every call takes its own connection from the data source. Applies from any number
 * of threads and processes are serialized by a transaction-scoped advisory lock.
 */
public final class Registry {
  /** The key of the advisory lock that serializes applies: the bytes of "freshet" and 1. */
  static final long APPLY_LOCK = 0x6672657368657401L;

  private static final String SCHEMA = "freshet";
  private static final String COLUMNS =
      "name, version, fingerprint, version_tag, definition_json, is_current, applied_at,"
          + " updated_at";

  private final DataSource dataSource;
  private final String where;

  private Registry(DataSource dataSource, String where) {
    this.dataSource = dataSource;
    this.where = where;
  }

  /**
   * Opens the registry in the database at {@code jdbcUrl} (credentials as URL parameters, e.g.
   * {@code ?user=freshet&password=...}) and brings its schema up to date. Each call then opens a
   * connection of its own; a process that polls {@link #changeCounter()} often should pass a
   * connection pool to {@link #open(DataSource)} instead.
   *
   * @throws RegistryException if the database cannot be reached or migrated
   */
  public static Registry open(String jdbcUrl) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    try {
      ds.setURL(jdbcUrl);
    } catch (IllegalArgumentException e) {
      throw new RegistryException("not a Postgres JDBC URL: " + redact(jdbcUrl), e);
    }
    return open(ds, redact(jdbcUrl));
  }

  /**
   * Opens the registry in the database a data source (such as a connection pool) connects to, and
   * brings its schema up to date.
   *
   * @throws RegistryException if the database cannot be reached or migrated
   */
  public static Registry open(DataSource dataSource) {
    return open(dataSource, null);
  }

  private static Registry open(DataSource dataSource, String url) {
    String where = url;
    try (Connection c = dataSource.getConnection()) {
      if (where == null) {
        where = redact(c.getMetaData().getURL());
      }
    } catch (SQLException e) {
      throw new RegistryException(
          "could not connect to the registry at "
              + (where == null ? "the given data source" : where)
              + ": "
              + e.getMessage(),
          e);
    }
    try {
      FreshetSchema.migrate(dataSource);
    } catch (SQLException e) {
      throw new RegistryException(
          "could not bring the registry schema at " + where + " up to date: " + e.getMessage(), e);
    }
    return new Registry(dataSource, where);
  }

  /**
   * What applying these views would do. Reads the registry, writes nothing.
   *
   * @throws IllegalArgumentException if two views share a name
   */
  public Plan plan(List<FeatureView> views) {
    RegistryDiff.checkUniqueNames(views);
    return read("compute the plan", c -> plan(c, views));
  }

  /**
   * Registers the plan's views in one transaction and returns what was done: the plan recomputed
   * under the apply lock. It differs from the given plan only if another apply came in between;
   * views another apply already registered identically are then {@link Kind#UNCHANGED}. Applying
   * definitions that are already registered writes nothing and leaves {@link #changeCounter()} as
   * it was.
   */
  public Plan apply(Plan plan) {
    List<FeatureView> views = plan.changes().stream().map(ViewChange::view).toList();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
          lock.setLong(1, APPLY_LOCK);
          lock.execute();
        }
        Plan done = plan(c, views);
        if (done.hasChanges()) {
          write(c, done);
        }
        c.commit();
        return done;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw failure("apply the plan", e);
    }
  }

  /** The current version of every registered view, by name. */
  public List<RegisteredView> latestViews() {
    return read(
        "read the latest views",
        c ->
            query(
                c,
                "SELECT " + COLUMNS + " FROM freshet.feature_views WHERE is_current ORDER BY name",
                s -> {}));
  }

  /** The current version of a view. */
  public Optional<RegisteredView> view(String name) {
    return read(
            "read view " + name,
            c ->
                query(
                    c,
                    "SELECT "
                        + COLUMNS
                        + " FROM freshet.feature_views WHERE name = ? AND is_current",
                    s -> s.setString(1, name)))
        .stream()
        .findFirst();
  }

  /** One version of a view, current or not. */
  public Optional<RegisteredView> view(String name, int version) {
    return read(
            "read view " + name + " version " + version,
            c ->
                query(
                    c,
                    "SELECT "
                        + COLUMNS
                        + " FROM freshet.feature_views WHERE name = ? AND version = ?",
                    s -> {
                      s.setString(1, name);
                      s.setInt(2, version);
                    }))
        .stream()
        .findFirst();
  }

  /** Every version of a view, oldest first. */
  public List<RegisteredView> versions(String name) {
    return read(
        "read the versions of view " + name,
        c ->
            query(
                c,
                "SELECT " + COLUMNS + " FROM freshet.feature_views WHERE name = ? ORDER BY version",
                s -> s.setString(1, name)));
  }

  /**
   * A number that grows with every apply that changed something, and only then: a reader that
   * caches the registry polls it (one index lookup) and reloads when it moved. 0 for an empty
   * registry.
   */
  public long changeCounter() {
    return read(
        "read the change counter",
        c -> {
          try (Statement s = c.createStatement();
              ResultSet rs = s.executeQuery("SELECT coalesce(max(id), 0) FROM freshet.applies")) {
            rs.next();
            return rs.getLong(1);
          }
        });
  }

  @Override
  public String toString() {
    return "Registry[" + where + "]";
  }

  // ---- planning (see RegistryDiff) and writing, on a given connection

  private Plan plan(Connection c, List<FeatureView> views) throws SQLException {
    RegistryDiff.checkUniqueNames(views);
    List<String> names = views.stream().map(FeatureView::name).toList();
    return RegistryDiff.plan(views, rows(c, names), currentRowsExcept(c, names));
  }

  private static void write(Connection c, Plan plan) throws SQLException {
    long applyId;
    Timestamp at;
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO freshet.applies (applied_at, summary) VALUES (clock_timestamp(), ?)"
                + " RETURNING id, applied_at")) {
      s.setString(1, summary(plan));
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        applyId = rs.getLong(1);
        at = rs.getTimestamp(2);
      }
    }
    for (ViewChange change : plan.changes()) {
      if (change.kind() == Kind.UNCHANGED) {
        continue;
      }
      String json = DefinitionJson.toJson(change.view());
      if (change.kind() != Kind.SETTINGS_CHANGED) {
        update(
            c,
            "UPDATE freshet.feature_views SET is_current = false WHERE name = ? AND is_current",
            change.name());
      }
      if (change.versionExists()) {
        try (PreparedStatement s =
            c.prepareStatement(
                "UPDATE freshet.feature_views SET definition_json = ?, is_current = true,"
                    + " updated_at = ?, apply_id = ? WHERE name = ? AND version = ?")) {
          s.setString(1, json);
          s.setTimestamp(2, at);
          s.setLong(3, applyId);
          s.setString(4, change.name());
          s.setInt(5, change.version());
          s.executeUpdate();
        }
      } else {
        try (PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO freshet.feature_views (name, version, fingerprint, version_tag,"
                    + " definition_json, is_current, applied_at, updated_at, apply_id)"
                    + " VALUES (?, ?, ?, ?, ?, true, ?, ?, ?)")) {
          s.setString(1, change.name());
          s.setInt(2, change.version());
          s.setString(3, change.plan().fingerprint());
          s.setString(4, change.plan().versionTag());
          s.setString(5, json);
          s.setTimestamp(6, at);
          s.setTimestamp(7, at);
          s.setLong(8, applyId);
          s.executeUpdate();
        }
      }
    }
  }

  private static String summary(Plan plan) {
    List<String> parts = new ArrayList<>();
    for (ViewChange c : plan.changes()) {
      if (c.kind() != Kind.UNCHANGED) {
        parts.add(
            c.name()
                + " v"
                + c.version()
                + " "
                + c.kind().name().toLowerCase(Locale.ROOT).replace('_', ' '));
      }
    }
    return String.join("; ", parts);
  }

  // ---- reading rows

  private static List<RegistryRow> rows(Connection c, List<String> names) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT "
                + COLUMNS
                + " FROM freshet.feature_views WHERE name = ANY (?) ORDER BY name, version")) {
      Array array = c.createArrayOf("text", names.toArray());
      s.setArray(1, array);
      return rows(s);
    }
  }

  private static List<RegistryRow> currentRowsExcept(Connection c, List<String> names)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT "
                + COLUMNS
                + " FROM freshet.feature_views WHERE is_current AND NOT (name = ANY (?))"
                + " ORDER BY name")) {
      s.setArray(1, c.createArrayOf("text", names.toArray()));
      return rows(s);
    }
  }

  private static List<RegistryRow> rows(PreparedStatement s) throws SQLException {
    List<RegistryRow> out = new ArrayList<>();
    try (ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        out.add(
            new RegistryRow(
                rs.getString(1),
                rs.getInt(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getBoolean(6),
                rs.getTimestamp(7).toInstant(),
                rs.getTimestamp(8).toInstant()));
      }
    }
    return out;
  }

  private static List<RegisteredView> query(Connection c, String sql, Binder binder)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      binder.bind(s);
      return rows(s).stream().map(RegistryRow::registered).toList();
    }
  }

  private static void update(Connection c, String sql, String name) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, name);
      s.executeUpdate();
    }
  }

  // ---- plumbing

  private interface Binder {
    void bind(PreparedStatement s) throws SQLException;
  }

  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> T read(String what, Work<T> work) {
    try (Connection c = dataSource.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw failure(what, e);
    }
  }

  private RegistryException failure(String what, SQLException e) {
    return new RegistryException(
        "could not "
            + what
            + " in the registry at "
            + where
            + ": "
            + e.getMessage()
            + " (SQL state "
            + e.getSQLState()
            + ")",
        e);
  }

  /** The URL without its parameters, which may hold a password. */
  static String redact(String jdbcUrl) {
    if (jdbcUrl == null) {
      return "null";
    }
    int q = jdbcUrl.indexOf('?');
    String base = q < 0 ? jdbcUrl : jdbcUrl.substring(0, q);
    int at = base.indexOf('@');
    int scheme = base.indexOf("//");
    if (at > 0 && scheme >= 0 && at > scheme) {
      base = base.substring(0, scheme + 2) + base.substring(at + 1);
    }
    return base;
  }
}
