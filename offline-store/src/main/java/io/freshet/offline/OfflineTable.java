package io.freshet.offline;

import io.freshet.dsl.FeatureType;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import java.util.List;

/**
 * The offline table of one view version: its Postgres name, columns and statements, derived from
 * the plan and nowhere else.
 *
 * <p>The table keeps history. Every (entity, {@code feature_ts}) has exactly one <em>current</em>
 * version and any number of superseded ones. A late update that changes a window's values does not
 * overwrite the row: it closes the current version ({@code superseded_at}) and adds a new one, in
 * the same transaction and with the same timestamp, so that a training set built earlier can be
 * rebuilt identically. A row whose values equal the current version's adds nothing.
 *
 * <pre>
 * freshet."{view}__{versionTag}"
 *   entity_key    text collate "C" not null -- the entity key (parts joined, see EntityKey)
 *   feature_ts    timestamptz  not null   -- the window end
 *   {part}...     typed per part          -- in plan order
 *   committed_at  timestamptz  not null   -- when this version was committed
 *   visible_at    timestamptz             -- when the online table began serving this version
 *   superseded_at timestamptz             -- when the next version replaced it; null while current
 *   primary key (entity_key, feature_ts, committed_at)
 *   unique index "{view}__{versionTag}__current" (entity_key, feature_ts) where superseded_at is null
 * </pre>
 *
 * <p>{@code entity_key} has the bytewise collation {@code "C"} whatever the database's default.
 * Equality is the same in every deterministic collation, so lookups do not change; but the primary
 * key is then in bytewise order, the order in which readers that stream many entities ask for rows
 * ({@code ORDER BY entity_key COLLATE "C", feature_ts, committed_at}, independent of the database's
 * collation), so they read the index in order instead of sorting, and split the key space into
 * bytewise ranges that each read one contiguous part of it. Tables created before keep the
 * database's collation: they read the same rows, only slower.
 *
 * <p>A version is valid over {@code [committed_at, superseded_at)}, so both questions a reader asks
 * are a plain filter with an index behind it, never a {@code DISTINCT ON} or a window function over
 * history:
 *
 * <pre>
 * -- the latest version of every row: the partial unique index holds exactly these
 * SELECT ... WHERE superseded_at IS NULL
 * -- what a reader saw at commit time T (e.g. 2026-11-20 12:00Z): one version per row
 * SELECT ... WHERE committed_at &lt;= T AND (superseded_at IS NULL OR superseded_at &gt; T)
 * </pre>
 *
 * <p>Per-entity point-in-time lookups ({@code entity_key = ? AND feature_ts <= ? ORDER BY
 * feature_ts DESC LIMIT 1}) walk the current index for the latest data, or the primary key for an
 * as-of read. {@link #currentRowsQuery()} and {@link #rowsAsOfQuery()} spell both out.
 *
 * <p>{@code committed_at} is the writing transaction's {@code now()}: its start, a moment before
 * its rows become visible at COMMIT. A training set that wants an as-of time nobody can still write
 * behind picks one no later than {@link #stableAsOfQuery()}.
 *
 * <p>{@code visible_at} is the instant, on the online store's clock and to the microsecond, from
 * which the online table served this version (the stamp its write script returned, see {@code
 * io.freshet.online.NewestWinsScript}); null for a version the online table never served (a
 * backfill, a row older than the one online, a window updated again within one checkpoint). The
 * committer writes online first and then the offline versions with those stamps, so an as-served
 * training set reproduces what the gateway read. A version whose values equal the current one's
 * adds nothing; it only sets the current version's {@code visible_at} if that is still null. Tables
 * created before get the column ({@link #addVisibleAtStatement()}), null in every existing row.
 *
 * <p>{@link OfflineTables} creates the table; {@link OfflineReader} reads it back as {@link
 * io.freshet.storage.FeatureRow}s.
 *
 * <p>Writers apply a batch with {@link #insertOrSupersedeStatement()} then {@link
 * #insertStatement()}, in one transaction, each taking the batch as one array per column.
 */
public final class OfflineTable {
  /** The schema that holds every offline table. */
  public static final String SCHEMA = "freshet";

  /**
   * The {@code application_name} of the sessions that commit rows; {@link #stableAsOfQuery()} looks
   * for their open transactions.
   */
  public static final String WRITER_APPLICATION_NAME = "freshet-offline-sink";

  private static final int MAX_IDENTIFIER_BYTES = 63;
  private static final String FEATURE_TS_FROM_MILLIS =
      "(timestamptz 'epoch' + u.feature_ms * interval '1 millisecond')";

  private final ViewPlan plan;
  private final String tableName;

  private OfflineTable(ViewPlan plan) {
    this.plan = plan;
    this.tableName = plan.name() + "__" + plan.versionTag();
  }

  /** The table of a view version. */
  public static OfflineTable of(ViewPlan plan) {
    return new OfflineTable(plan);
  }

  /** The plan the table is derived from. */
  public ViewPlan plan() {
    return plan;
  }

  /** The unqualified table name, e.g. {@code user_activity__1a2b3c4d5e}. */
  public String tableName() {
    return tableName;
  }

  /** The schema-qualified, quoted name. */
  public String qualifiedName() {
    return SCHEMA + ".\"" + tableName + "\"";
  }

  /**
   * The unqualified name of the partial unique index over current versions, cut to Postgres' 63
   * bytes as Postgres itself would.
   */
  public String currentIndexName() {
    String name = tableName + "__current";
    return name.length() <= MAX_IDENTIFIER_BYTES ? name : name.substring(0, MAX_IDENTIFIER_BYTES);
  }

  /** The feature columns in plan order. */
  public List<String> featureColumns() {
    return plan.parts().stream().map(FeaturePart::name).toList();
  }

  /** Statements that create the schema, the table and its current-version index if missing. */
  public List<String> createStatements() {
    StringBuilder sb = new StringBuilder();
    sb.append("CREATE TABLE IF NOT EXISTS ").append(qualifiedName()).append(" (\n");
    sb.append("  entity_key text COLLATE \"C\" NOT NULL,\n");
    sb.append("  feature_ts timestamptz NOT NULL,\n");
    for (FeaturePart p : plan.parts()) {
      sb.append("  \"").append(p.name()).append("\" ").append(columnType(p.type()));
      sb.append(",\n");
    }
    sb.append("  committed_at timestamptz NOT NULL DEFAULT now(),\n");
    sb.append("  superseded_at timestamptz,\n");
    sb.append("  visible_at timestamptz,\n");
    sb.append("  PRIMARY KEY (entity_key, feature_ts, committed_at)\n)");
    String index =
        "CREATE UNIQUE INDEX IF NOT EXISTS \""
            + currentIndexName()
            + "\" ON "
            + qualifiedName()
            + " (entity_key, feature_ts) WHERE superseded_at IS NULL";
    return List.of("CREATE SCHEMA IF NOT EXISTS " + SCHEMA, sb.toString(), index);
  }

  /** Adds {@code visible_at} to a table created before the column existed. */
  public String addVisibleAtStatement() {
    return "ALTER TABLE " + qualifiedName() + " ADD COLUMN IF NOT EXISTS visible_at timestamptz";
  }

  /**
   * First of the two statements that apply a batch, in one transaction: adds every row that has no
   * current version, and closes ({@code superseded_at = now()}) the current version of every row
   * whose values changed. {@link #insertStatement()} then adds the new versions of those.
   *
   * <p>Both statements find current versions through the unique index alone ({@code ON CONFLICT}),
   * never through a join the planner could get wrong on a table without statistics. They take the
   * batch as arrays, one element per row and one array per column: {@code text[]} entity keys,
   * {@code bigint[]} feature_ts in epoch milliseconds, then one array per part in plan order:
   * {@code bigint[]} for INT64, {@code double precision[]} for FLOAT64, {@code text[]} for STRING,
   * and {@code text[]} of {@link ListValues#literal array literals} for STRING_LIST, and last a
   * {@code bigint[]} of visibility instants in epoch microseconds (null: never served). A batch
   * must hold each (entity, feature_ts) at most once.
   */
  public String insertOrSupersedeStatement() {
    StringBuilder stored = new StringBuilder();
    StringBuilder incoming = new StringBuilder();
    for (FeaturePart p : plan.parts()) {
      stored.append(stored.isEmpty() ? "" : ", ").append("t.\"").append(p.name()).append('"');
      incoming.append(incoming.isEmpty() ? "" : ", ");
      incoming.append("EXCLUDED.\"").append(p.name()).append('"');
    }
    String changed = "ROW(" + stored + ") IS DISTINCT FROM ROW(" + incoming + ")";
    return insertBatch()
        + " DO UPDATE SET superseded_at = CASE WHEN "
        + changed
        + " THEN now() END, visible_at = CASE WHEN "
        + changed
        + " THEN t.visible_at ELSE coalesce(t.visible_at, EXCLUDED.visible_at) END WHERE "
        + changed
        + " OR (t.visible_at IS NULL AND EXCLUDED.visible_at IS NOT NULL)";
  }

  /**
   * {@link #insertOrSupersedeStatement()}, answering one row with one column: how many current
   * versions it closed. Same parameters. When it closed none, every row of the batch has a current
   * version (one it inserted, or one whose values were equal), so {@link #insertStatement()} would
   * add nothing and need not be sent. (Every writer that closes a current version adds the next one
   * in the same transaction, and no writer deletes versions, so a row that had a current version
   * keeps one.)
   */
  public String insertOrSupersedeCountingStatement() {
    return "WITH applied AS ("
        + insertOrSupersedeStatement()
        + " RETURNING superseded_at) SELECT count(*) FROM applied WHERE superseded_at IS NOT NULL";
  }

  /**
   * Second of the two statements that apply a batch: adds a version, committed at the transaction's
   * {@code now()}, for every row that has no current version left, that is, the rows whose previous
   * version {@link #insertOrSupersedeStatement()} just closed. Same parameters.
   */
  public String insertStatement() {
    return insertBatch() + " DO NOTHING";
  }

  /**
   * The latest version of every row: entity_key, feature_ts, the feature columns in plan order,
   * committed_at. Append {@code AND ...} conditions as needed.
   */
  public String currentRowsQuery() {
    return "SELECT "
        + selectColumns()
        + " FROM "
        + qualifiedName()
        + " WHERE superseded_at IS NULL";
  }

  /**
   * The version of every row that was current at a commit time T, given twice as the {@code
   * timestamptz} parameters 1 and 2. Columns as in {@link #currentRowsQuery()}.
   */
  public String rowsAsOfQuery() {
    return "SELECT "
        + selectColumns()
        + " FROM "
        + qualifiedName()
        + " WHERE committed_at <= ? AND (superseded_at IS NULL OR superseded_at > ?)";
  }

  /**
   * The latest as-of time that can no longer gain versions: now, or the start of the oldest
   * transaction still open in a session named {@link #WRITER_APPLICATION_NAME}. (A role sees the
   * transaction start of other roles' sessions only with {@code pg_read_all_stats}.)
   */
  public static String stableAsOfQuery() {
    return "SELECT least(now(), min(xact_start)) FROM pg_stat_activity WHERE application_name = '"
        + WRITER_APPLICATION_NAME
        + "' AND xact_start IS NOT NULL AND datname = current_database()";
  }

  /**
   * The latest current version of one entity: the columns of {@link #rowColumns()}; parameter 1 is
   * the entity key. Walks the current-version index.
   */
  public String latestCurrentRowQuery() {
    return "SELECT "
        + rowColumns()
        + " FROM "
        + qualifiedName()
        + " WHERE entity_key = ? AND superseded_at IS NULL ORDER BY feature_ts DESC LIMIT 1";
  }

  /**
   * The latest current version of every entity whose window ended after a time, given as the {@code
   * timestamptz} parameter 1: the columns of {@link #rowColumns()}, in {@code entity_key} order.
   * One row per entity, for rebuilding a store that keeps only the latest row.
   */
  public String latestCurrentRowPerEntityQuery() {
    return "SELECT DISTINCT ON (entity_key) "
        + rowColumns()
        + " FROM "
        + qualifiedName()
        + " WHERE superseded_at IS NULL AND feature_ts > ?"
        + " ORDER BY entity_key, feature_ts DESC";
  }

  /**
   * Every version of one entity's rows, oldest window first and, per window, oldest version first:
   * the columns of {@link #rowColumns()}, then committed_at and superseded_at. Parameter 1 is the
   * entity key.
   */
  public String historyQuery() {
    return "SELECT "
        + rowColumns()
        + ", committed_at, superseded_at FROM "
        + qualifiedName()
        + " WHERE entity_key = ? ORDER BY feature_ts, committed_at";
  }

  /** Up to {@code ?} distinct entity keys of the table, drawn at random. */
  public String sampleEntitiesQuery() {
    return "SELECT entity_key FROM (SELECT DISTINCT entity_key FROM "
        + qualifiedName()
        + ") e ORDER BY random() LIMIT ?";
  }

  /** How many versions the table holds, and how many of them a newer version replaced. */
  public String versionCountsQuery() {
    return "SELECT count(*), count(*) FILTER (WHERE superseded_at IS NOT NULL) FROM "
        + qualifiedName();
  }

  /**
   * What the typed reader selects for a row: entity_key, feature_ts in epoch milliseconds, then
   * every part in plan order.
   */
  public String rowColumns() {
    StringBuilder sb =
        new StringBuilder("entity_key, (extract(epoch from feature_ts) * 1000)::bigint");
    for (FeaturePart p : plan.parts()) {
      sb.append(", \"").append(p.name()).append('"');
    }
    return sb.toString();
  }

  /** The Postgres column type of a feature type. */
  public static String columnType(FeatureType type) {
    return switch (type) {
      case INT64 -> "bigint";
      case FLOAT64 -> "double precision";
      case STRING -> "text";
      case STRING_LIST -> "text[]";
    };
  }

  private String selectColumns() {
    StringBuilder sb = new StringBuilder("entity_key, feature_ts");
    for (FeaturePart p : plan.parts()) {
      sb.append(", \"").append(p.name()).append('"');
    }
    return sb.append(", committed_at").toString();
  }

  /** INSERT of a batch as current versions, up to its ON CONFLICT clause on the current index. */
  private String insertBatch() {
    StringBuilder cols = new StringBuilder("entity_key, feature_ts");
    StringBuilder select = new StringBuilder("u.entity_key, " + FEATURE_TS_FROM_MILLIS);
    StringBuilder args = new StringBuilder("?::text[], ?::bigint[]");
    StringBuilder names = new StringBuilder("entity_key, feature_ms");
    for (FeaturePart p : plan.parts()) {
      cols.append(", \"").append(p.name()).append('"');
      String v = "u.p" + p.index();
      select.append(", ").append(p.type() == FeatureType.STRING_LIST ? v + "::text[]" : v);
      args.append(", ?::").append(arrayType(p)).append("[]");
      names.append(", p").append(p.index());
    }
    args.append(", ?::bigint[]");
    names.append(", visible_us");
    return "INSERT INTO "
        + qualifiedName()
        + " AS t ("
        + cols
        + ", visible_at, committed_at) SELECT "
        + select
        + ", timestamptz 'epoch' + u.visible_us * interval '1 microsecond'"
        + ", now() FROM unnest("
        + args
        + ") AS u("
        + names
        + ") ON CONFLICT (entity_key, feature_ts) WHERE superseded_at IS NULL";
  }

  private static String arrayType(FeaturePart p) {
    return switch (p.type()) {
      case INT64 -> "bigint";
      case FLOAT64 -> "double precision";
      case STRING, STRING_LIST -> "text";
    };
  }
}
