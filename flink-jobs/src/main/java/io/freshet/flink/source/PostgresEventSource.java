package io.freshet.flink.source;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.jdbc.core.datastream.source.JdbcSource;
import org.apache.flink.connector.jdbc.core.datastream.source.reader.extractor.ResultExtractor;

/**
 * The JDBC connector's {@link JdbcSource} over {@link PostgresEvents}: one split (the whole query),
 * read by one reader with a server-side cursor ({@code autoCommit} off, 1,000 rows per fetch), each
 * row turned into a JSON event named by its origin.
 */
public final class PostgresEventSource {
  /** The driver the source loads itself: a job's class loader hides it from DriverManager. */
  static final String DRIVER = "org.postgresql.Driver";

  private PostgresEventSource() {}

  /**
   * The bounded source of the rows.
   *
   * @param sql what {@link PostgresEvents#check} returned
   */
  public static JdbcSource<PostgresEventRow> create(
      PostgresEvents events, String jdbcUrl, String sql) {
    return JdbcSource.<PostgresEventRow>builder()
        .setDBUrl(jdbcUrl)
        .setDriverName(DRIVER)
        .setSql(sql)
        .setAutoCommit(false)
        .setResultSetFetchSize(1000)
        // Batch backfills have no checkpoints; were one restored, its splits are read again.
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .setResultExtractor(new RowToJson(events.originPrefix()))
        .setTypeInformation(TypeInformation.of(PostgresEventRow.class))
        .build();
  }

  /** Turns the current row into a JSON event named by its row column or position. */
  static final class RowToJson implements ResultExtractor<PostgresEventRow> {
    private static final long serialVersionUID = 1L;
    private final String originPrefix;
    private transient ObjectMapper mapper;

    RowToJson(String originPrefix) {
      this.originPrefix = originPrefix;
    }

    @Override
    public PostgresEventRow extract(ResultSet rs) throws SQLException {
      if (mapper == null) {
        mapper = new ObjectMapper();
      }
      ResultSetMetaData md = rs.getMetaData();
      ObjectNode event = mapper.createObjectNode();
      for (int i = 2; i <= md.getColumnCount(); i++) {
        String name = md.getColumnLabel(i);
        String text = rs.getString(i);
        if (text == null) {
          continue;
        }
        switch (md.getColumnTypeName(i).toLowerCase(Locale.ROOT)) {
          case "int2", "int4", "int8" -> event.put(name, rs.getLong(i));
          case "numeric", "float4", "float8" -> {
            BigDecimal number = number(text);
            if (number == null) {
              event.put(name, text);
            } else {
              event.put(name, number);
            }
          }
          case "bool" -> event.put(name, rs.getBoolean(i));
          case "timestamptz" ->
              event.put(name, rs.getObject(i, OffsetDateTime.class).toInstant().toString());
          case "timestamp" ->
              event.put(
                  name, rs.getObject(i, LocalDateTime.class).toInstant(ZoneOffset.UTC).toString());
          case "json", "jsonb" -> {
            try {
              event.set(name, mapper.readTree(text));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
              event.put(name, text);
            }
          }
          default -> event.put(name, text);
        }
      }
      String row = rs.getString(1);
      String origin = originPrefix + "@" + (row != null ? row : String.valueOf(rs.getRow()));
      return new PostgresEventRow(origin, event.toString());
    }

    /** The number, or null for NaN and infinities (kept as text, which the decoder rejects). */
    private static BigDecimal number(String text) {
      try {
        return new BigDecimal(text);
      } catch (NumberFormatException e) {
        return null;
      }
    }
  }
}
