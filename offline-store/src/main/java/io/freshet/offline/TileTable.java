package io.freshet.offline;

import io.freshet.plan.ViewPlan;
import java.util.List;

/**
 * The tile history of a request-time view version: every committed version of every entity's tiles,
 * with the instant the online store could first serve it. A request-time view has this table and no
 * row table ({@link OfflineTable}); {@link OfflineTables#ensure(java.sql.Connection, TileTable,
 * javax.sql.DataSource)} creates it when its writer ({@link OfflineTileWriter}) first needs it, and
 * {@link TileHistory} reads it back.
 *
 * <pre>
 * freshet."{view}__{versionTag}__tiles"
 *   entity_key   text collate "C" not null -- the entity key (parts joined, see EntityKey)
 *   tile_start   timestamptz  not null     -- the tile's start (epoch ms, a multiple of the tile)
 *   version      bigint       not null     -- events folded into the tile: the greater is newer
 *   payload      bytea        not null     -- the slice accumulators (SliceCodec)
 *   visible_at   timestamptz               -- from when the online store served this version, to
 *                                          -- the microsecond on its clock; null: never served
 *   committed_at timestamptz  not null     -- the writing transaction's now()
 *   primary key (entity_key, tile_start, version)
 *   index "{view}__{versionTag}__tiles__visible" (visible_at)
 * </pre>
 *
 * <p>A version, once stored, never changes: a replay of a commit finds it and adds nothing. Of the
 * versions of one tile the greater was stamped later (the online write stores a version only over
 * an older one), so within a tile {@code visible_at} grows with {@code version} among those served.
 *
 * <p>Reads and their indexes. A training set or {@code verify} streams the versions of many
 * entities in {@code (entity_key COLLATE "C", tile_start, version)} order, the primary key's own
 * (see {@link OfflineTable} for why the collation is bytewise): the newest version of a tile
 * visible at an instant {@code L} is the last one of its tile in that order with {@code visible_at
 * <= L}, so an as-of read walks the primary key without a sort. The index on {@code visible_at}
 * answers when the view version was first served ({@code min(visible_at)}) and which versions
 * became visible in an interval. Both filter on {@code committed_at <= as-of time} for sets that
 * must rebuild identically.
 */
public final class TileTable {
  private static final int MAX_IDENTIFIER_BYTES = 63;

  private final ViewPlan plan;
  private final String tableName;

  private TileTable(ViewPlan plan) {
    this.plan = plan;
    this.tableName = plan.name() + "__" + plan.versionTag() + "__tiles";
  }

  /** The tile table of a request-time view version. */
  public static TileTable of(ViewPlan plan) {
    if (!plan.requestTime()) {
      throw new IllegalArgumentException(
          "view '" + plan.name() + "' is served at window ends; it has no tile table");
    }
    return new TileTable(plan);
  }

  public ViewPlan plan() {
    return plan;
  }

  /** The unqualified table name, e.g. {@code user_activity_live__1a2b3c4d5e__tiles}. */
  public String tableName() {
    return tableName;
  }

  /** The schema-qualified, quoted name. */
  public String qualifiedName() {
    return OfflineTable.SCHEMA + ".\"" + tableName + "\"";
  }

  /**
   * The unqualified name of the index on {@code visible_at}, cut to Postgres' 63 bytes as Postgres
   * itself would.
   */
  public String visibleIndexName() {
    String name = tableName + "__visible";
    return name.length() <= MAX_IDENTIFIER_BYTES ? name : name.substring(0, MAX_IDENTIFIER_BYTES);
  }

  /** The columns of the table, in order. */
  public static List<String> columns() {
    return List.of("entity_key", "tile_start", "version", "payload", "visible_at", "committed_at");
  }

  /** Statements that create the schema, the table and its index if missing. */
  public List<String> createStatements() {
    String table =
        "CREATE TABLE IF NOT EXISTS "
            + qualifiedName()
            + " (\n"
            + "  entity_key text COLLATE \"C\" NOT NULL,\n"
            + "  tile_start timestamptz NOT NULL,\n"
            + "  version bigint NOT NULL CHECK (version >= 1),\n"
            + "  payload bytea NOT NULL,\n"
            + "  visible_at timestamptz,\n"
            + "  committed_at timestamptz NOT NULL DEFAULT now(),\n"
            + "  PRIMARY KEY (entity_key, tile_start, version)\n)";
    String index =
        "CREATE INDEX IF NOT EXISTS \""
            + visibleIndexName()
            + "\" ON "
            + qualifiedName()
            + " (visible_at)";
    return List.of("CREATE SCHEMA IF NOT EXISTS " + OfflineTable.SCHEMA, table, index);
  }

  /**
   * Adds a batch of tile versions, committed at the transaction's {@code now()}; a version already
   * stored is left as it is. Parameters, one array element per version: {@code text[]} entity keys,
   * {@code bigint[]} tile starts in epoch milliseconds, {@code bigint[]} versions, {@code bytea[]}
   * payloads, {@code bigint[]} visibility instants in epoch microseconds (null: never served).
   */
  public String insertStatement() {
    return "INSERT INTO "
        + qualifiedName()
        + " (entity_key, tile_start, version, payload, visible_at, committed_at)"
        + " SELECT u.entity_key, timestamptz 'epoch' + u.start_ms * interval '1 millisecond',"
        + " u.version, u.payload,"
        + " timestamptz 'epoch' + u.visible_us * interval '1 microsecond', now()"
        + " FROM unnest(?::text[], ?::bigint[], ?::bigint[], ?::bytea[], ?::bigint[])"
        + " AS u(entity_key, start_ms, version, payload, visible_us)"
        + " ON CONFLICT (entity_key, tile_start, version) DO NOTHING";
  }
}
