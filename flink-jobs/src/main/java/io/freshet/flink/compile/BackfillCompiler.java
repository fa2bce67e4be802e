package io.freshet.flink.compile;

import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.flink.job.JobContract;
import io.freshet.flink.sink.offline.PostgresOfflineSink;
import io.freshet.flink.sink.rejected.PostgresRejectedEventsSink;
import io.freshet.flink.sink.tiles.TileSink;
import io.freshet.flink.source.KafkaEventDeserializer;
import io.freshet.flink.source.PostgresEventSource;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.offline.PostgresSessions;
import io.freshet.plan.ViewPlan;
import java.sql.SQLException;
import java.util.List;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Compiles a backfill: views run over historical events in Flink's batch execution mode through the
 * same decoder, the same sliced window operator and the same sinks as the streaming job, so the
 * offline rows it writes are the rows the stream writes for the same events.
 *
 * <p>In batch mode Flink sorts each key's events and fires its timers once the key's input is
 * complete, so every valid event counts: history has no late events. For events the stream received
 * on time (or within the allowed lateness) the rows are identical.
 *
 * <p>A request-time view's backfill writes the final version of each of its tiles to the view's
 * tile table with no visibility instant ({@code visible_at} NULL): history that no online store
 * ever served, so as-served training never reads it. Its online table is not touched, even with
 * {@code redisUrl}.
 */
public final class BackfillCompiler {
  private BackfillCompiler() {}

  /**
   * Adds the backfill of each view to {@code env} and switches it to batch execution.
   *
   * @param redisUrl the online table to fill with each entity's latest row, or null for none;
   *     request-time views ignore it
   */
  public static void compile(
      StreamExecutionEnvironment env,
      List<ViewPlan> plans,
      BackfillSource source,
      String pgUrl,
      String redisUrl) {
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    env.getConfig().enableObjectReuse();
    DataStream<RejectedEvent> rejected = null;
    for (ViewPlan plan : plans) {
      DataStream<Decoded> decoded = read(env, plan, source);
      if (plan.requestTime()) {
        // Tile history only: no online store served these versions, so each is written with no
        // visibility instant and training as-served never reads it.
        FeatureJobCompiler.TileStreams tiles = FeatureJobCompiler.tiles(decoded, plan);
        tiles
            .tiles()
            .sinkTo(TileSink.historyOnly(plan, pgUrl))
            .name(JobContract.tileSinkName(plan))
            .uid(JobContract.backfillTileSinkUid(plan));
        rejected = rejected == null ? tiles.rejected() : rejected.union(tiles.rejected());
        continue;
      }
      FeatureJobCompiler.ViewStreams streams = FeatureJobCompiler.windows(decoded, plan);
      // With an online store, one sink writes each row online first, then offline with the
      // instant the online table serves it from; without one, every row is never served.
      PostgresOfflineSink sink = PostgresOfflineSink.exactlyOnce(plan, pgUrl);
      streams
          .rows()
          .sinkTo(redisUrl == null ? sink : sink.servingOnline(redisUrl))
          .name(JobContract.offlineSinkName(plan))
          .uid(JobContract.backfillOfflineSinkUid(plan));
      rejected = rejected == null ? streams.rejected() : rejected.union(streams.rejected());
    }
    if (rejected != null) {
      rejected
          .sinkTo(PostgresRejectedEventsSink.create(pgUrl))
          .name(JobContract.REJECTED_POSTGRES_NAME)
          .uid(JobContract.BACKFILL_REJECTED_POSTGRES_UID);
    }
  }

  /** The decoded events of one view from the backfill's source. */
  static DataStream<Decoded> read(
      StreamExecutionEnvironment env, ViewPlan plan, BackfillSource source) {
    if (source instanceof BackfillSource.JsonLines lines) {
      FileSource<String> files =
          FileSource.forRecordStreamFormat(new TextLineInputFormat(), new Path(lines.path()))
              .build();
      DataStream<String> payloads =
          env.fromSource(
                  files,
                  WatermarkStrategy.noWatermarks(),
                  JobContract.backfillFileName(lines.path()))
              .uid(JobContract.backfillFileUid(plan));
      return FeatureJobCompiler.decode(payloads, plan, "file:" + lines.path());
    }
    if (source instanceof BackfillSource.Postgres pg) {
      String sql;
      try {
        sql = pg.events().check(pg.jdbcUrl(), plan);
      } catch (SQLException e) {
        throw new IllegalStateException(
            "could not read the events' columns from " + PostgresSessions.safe(pg.jdbcUrl()), e);
      }
      EventDecoder decoder = new EventDecoder(plan);
      return env.fromSource(
              PostgresEventSource.create(pg.events(), pg.jdbcUrl(), sql),
              WatermarkStrategy.noWatermarks(),
              JobContract.backfillPostgresName(pg.events().originPrefix()))
          .uid(JobContract.backfillPostgresUid(plan))
          .map(row -> decoder.decode(row.json, row.origin), TypeInformation.of(Decoded.class))
          .name(JobContract.decodeJsonName(plan))
          .uid(JobContract.decodeJsonUid(plan))
          .assignTimestampsAndWatermarks(FeatureJobCompiler.watermarks(plan))
          .name(JobContract.watermarksName(plan))
          .uid(JobContract.watermarksUid(plan));
    }
    BackfillSource.KafkaRange range = (BackfillSource.KafkaRange) source;
    KafkaSource<Decoded> kafka =
        KafkaSource.<Decoded>builder()
            .setBootstrapServers(range.bootstrapServers())
            .setTopics(plan.source().topic())
            .setGroupId(JobContract.backfillGroupId(plan))
            .setStartingOffsets(
                range.from() == null
                    ? OffsetsInitializer.earliest()
                    : OffsetsInitializer.timestamp(range.from().toEpochMilli()))
            .setBounded(OffsetsInitializer.timestamp(range.to().toEpochMilli()))
            .setDeserializer(new KafkaEventDeserializer(new EventDecoder(plan)))
            .build();
    return env.fromSource(
            kafka, FeatureJobCompiler.watermarks(plan), JobContract.backfillKafkaName(plan))
        .uid(JobContract.backfillKafkaUid(plan));
  }
}
