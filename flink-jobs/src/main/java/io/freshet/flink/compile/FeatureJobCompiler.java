package io.freshet.flink.compile;

import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.Event;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.flink.job.JobContract;
import io.freshet.flink.sink.offline.PostgresOfflineSink;
import io.freshet.flink.sink.online.RedisOnlineSink;
import io.freshet.flink.sink.rejected.KafkaRejectedEventsSink;
import io.freshet.flink.sink.rejected.PostgresRejectedEventsSink;
import io.freshet.flink.sink.tiles.TileSink;
import io.freshet.flink.source.KafkaEventDeserializer;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.flink.source.SplitRejected;
import io.freshet.flink.window.SlicingWindowFunction;
import io.freshet.flink.window.SlicingWindowOperator;
import io.freshet.flink.window.TileOperator;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * Compiles feature views into a Flink job graph: per view, a Kafka source that decodes in place and
 * assigns watermarks, the split of dead letters, the keyed sliced window operator, and the offline,
 * online and rejected-event sinks; for a request-time view the keyed {@link TileOperator} and the
 * {@link TileSink} take the place of the window operator and the row sinks. Operator names and uids
 * are {@link JobContract}'s: they derive from the view version, so state maps to the same operators
 * across redeploys.
 */
public final class FeatureJobCompiler {
  private FeatureJobCompiler() {}

  /** Adds every view to the environment, reading from Kafka. */
  public static void compile(
      StreamExecutionEnvironment env, List<ViewPlan> plans, JobSettings settings) {
    compile(env, plans, settings, null);
  }

  /**
   * As {@link #compile(StreamExecutionEnvironment, List, JobSettings)}; with {@code
   * stoppingOffsets} not null the Kafka sources are bounded and stop there (for example {@link
   * OffsetsInitializer#latest()}: the end of every partition when the job starts), so the job
   * finishes once it has read them, fired every window and committed its sinks. Benchmarks use this
   * to time a fixed input over the production path.
   */
  public static void compile(
      StreamExecutionEnvironment env,
      List<ViewPlan> plans,
      JobSettings settings,
      OffsetsInitializer stoppingOffsets) {
    env.getConfig().enableObjectReuse();
    DataStream<RejectedEvent> rejected = null;
    for (ViewPlan plan : plans) {
      if (plan.tableSourced()) {
        // Loaded by the materialization job (MaterializeCompiler), never streamed.
        continue;
      }
      DataStream<Decoded> decoded = kafkaSource(env, plan, settings, stoppingOffsets);
      DataStream<RejectedEvent> r;
      if (plan.requestTime()) {
        TileStreams streams = tiles(decoded, plan);
        sinkTiles(streams.tiles(), plan, settings);
        r = streams.rejected();
      } else {
        ViewStreams streams = windows(decoded, plan);
        sinkRows(streams.rows(), plan, settings);
        r = streams.rejected();
      }
      rejected = rejected == null ? r : rejected.union(r);
    }
    if (rejected != null) {
      if (settings.rejectedEventsTopic() == null) {
        rejected
            .sinkTo(PostgresRejectedEventsSink.create(settings.pgUrl()))
            .name(JobContract.REJECTED_POSTGRES_NAME)
            .uid(JobContract.REJECTED_POSTGRES_UID);
      } else {
        rejected
            .sinkTo(
                KafkaRejectedEventsSink.create(
                    settings.kafkaBootstrap(), settings.rejectedEventsTopic()))
            .name(JobContract.rejectedKafkaName(settings.rejectedEventsTopic()))
            .uid(JobContract.REJECTED_KAFKA_UID);
      }
    }
  }

  /** The decoded records of a view's topic, with timestamps and watermarks. */
  public static DataStream<Decoded> kafkaSource(
      StreamExecutionEnvironment env, ViewPlan plan, JobSettings settings) {
    return kafkaSource(env, plan, settings, null);
  }

  /** As above, bounded by {@code stoppingOffsets} unless it is null. */
  public static DataStream<Decoded> kafkaSource(
      StreamExecutionEnvironment env,
      ViewPlan plan,
      JobSettings settings,
      OffsetsInitializer stoppingOffsets) {
    var source = plan.source();
    OffsetsInitializer start =
        switch (settings.startingOffsets()) {
          case EARLIEST -> OffsetsInitializer.earliest();
          case LATEST -> OffsetsInitializer.latest();
          case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        };
    var builder =
        KafkaSource.<Decoded>builder()
            .setBootstrapServers(settings.kafkaBootstrap())
            .setTopics(source.topic())
            .setGroupId(settings.consumerGroup())
            .setStartingOffsets(start)
            .setDeserializer(new KafkaEventDeserializer(new EventDecoder(plan)));
    if (stoppingOffsets != null) {
      builder.setBounded(stoppingOffsets);
    }
    KafkaSource<Decoded> kafka = builder.build();
    return env.fromSource(kafka, watermarks(plan), JobContract.sourceName(plan))
        .uid(JobContract.sourceUid(plan));
  }

  /**
   * Decodes JSON payloads from any stream (a file of JSON lines for a backfill, a test) exactly as
   * the Kafka source does, and assigns the view's watermarks. {@code origin} names where the
   * records come from; each record's origin is {@code origin@index-in-subtask}.
   */
  public static DataStream<Decoded> decode(
      DataStream<String> payloads, ViewPlan plan, String origin) {
    return decode(payloads, plan, origin, watermarks(plan));
  }

  /** As {@link #decode(DataStream, ViewPlan, String)}, with the given watermark strategy. */
  public static DataStream<Decoded> decode(
      DataStream<String> payloads,
      ViewPlan plan,
      String origin,
      WatermarkStrategy<Decoded> watermarks) {
    EventDecoder decoder = new EventDecoder(plan);
    return payloads
        .map(new DecodeLines(decoder, origin), TypeInformation.of(Decoded.class))
        .name(JobContract.decodeJsonName(plan))
        .uid(JobContract.decodeJsonUid(plan))
        .assignTimestampsAndWatermarks(watermarks)
        .name(JobContract.watermarksName(plan))
        .uid(JobContract.watermarksUid(plan));
  }

  /** Decodes one payload per record, naming each by its position. */
  static final class DecodeLines
      extends org.apache.flink.api.common.functions.RichMapFunction<String, Decoded> {
    private static final long serialVersionUID = 1L;
    private final EventDecoder decoder;
    private final String origin;
    private transient long index;
    private transient int subtask;

    DecodeLines(EventDecoder decoder, String origin) {
      this.decoder = decoder;
      this.origin = origin;
    }

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext ctx) {
      subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    }

    @Override
    public Decoded map(String payload) {
      return decoder.decode(payload, origin + "/" + subtask + "@" + index++);
    }
  }

  /** Bounded out-of-orderness watermarks with idleness, as the view's source declares. */
  public static WatermarkStrategy<Decoded> watermarks(ViewPlan plan) {
    var source = plan.source();
    return WatermarkStrategy.<Decoded>forBoundedOutOfOrderness(source.maxOutOfOrderness())
        .withTimestampAssigner((d, ts) -> d.timestampOrMin())
        .withIdleness(source.idleTimeout());
  }

  /** The rows and the rejected events of one view. */
  public record ViewStreams(DataStream<FeatureRow> rows, DataStream<RejectedEvent> rejected) {}

  /** Splits dead letters off and runs the sliced window operator keyed by entity. */
  public static ViewStreams windows(DataStream<Decoded> decoded, ViewPlan plan) {
    if (plan.requestTime()) {
      throw new IllegalArgumentException(
          "view '"
              + plan.name()
              + "' is served at request time: it has tiles, not window rows (use tiles())");
    }
    SingleOutputStreamOperator<Event> events = events(decoded, plan);
    SingleOutputStreamOperator<FeatureRow> rows =
        events
            .keyBy(e -> e.key, TypeInformation.of(String.class))
            .transform(
                JobContract.windowsName(plan),
                TypeInformation.of(FeatureRow.class),
                new SlicingWindowOperator(new SlicingWindowFunction(plan)))
            .uid(JobContract.windowsUid(plan));
    DataStream<RejectedEvent> rejected =
        events
            .getSideOutput(SplitRejected.DEAD_LETTERS)
            .union(rows.getSideOutput(SlicingWindowFunction.LATE));
    return new ViewStreams(rows, rejected);
  }

  private static SingleOutputStreamOperator<Event> events(
      DataStream<Decoded> decoded, ViewPlan plan) {
    return decoded
        .process(new SplitRejected(plan.name()), TypeInformation.of(Event.class))
        .name(JobContract.decodeName(plan))
        .uid(JobContract.decodeUid(plan));
  }

  /** The changed tiles and the rejected events of one request-time view. */
  public record TileStreams(DataStream<Tile> tiles, DataStream<RejectedEvent> rejected) {}

  /**
   * Splits dead letters off and runs the {@link TileOperator} keyed by entity: a request-time
   * view's tiles, each changed tile once per checkpoint.
   */
  public static TileStreams tiles(DataStream<Decoded> decoded, ViewPlan plan) {
    if (!plan.requestTime()) {
      throw new IllegalArgumentException(
          "view '"
              + plan.name()
              + "' is served at window ends: it has window rows, not tiles (use windows())");
    }
    SingleOutputStreamOperator<Event> events = events(decoded, plan);
    SingleOutputStreamOperator<Tile> tiles =
        events
            .keyBy(e -> e.key, TypeInformation.of(String.class))
            .transform(
                JobContract.tilesName(plan), TypeInformation.of(Tile.class), new TileOperator(plan))
            .uid(JobContract.tilesUid(plan));
    DataStream<RejectedEvent> rejected =
        events
            .getSideOutput(SplitRejected.DEAD_LETTERS)
            .union(tiles.getSideOutput(SlicingWindowFunction.LATE));
    return new TileStreams(tiles, rejected);
  }

  /** Writes a request-time view's tiles to both stores, online first. */
  public static void sinkTiles(DataStream<Tile> tiles, ViewPlan plan, JobSettings settings) {
    tiles
        .sinkTo(TileSink.exactlyOnce(plan, settings.redisUrl(), settings.pgUrl()))
        .name(JobContract.tileSinkName(plan))
        .uid(JobContract.tileSinkUid(plan));
  }

  /**
   * Writes a view's rows to its online and offline tables: one sink commits each checkpoint online
   * first, then offline with the instants the online table serves each row from ({@code
   * visible_at}, for as-served training sets). The online sink keeps its uid only to commit what
   * savepoints taken before hold for it ({@link RedisOnlineSink#restoredOnly}).
   */
  public static void sinkRows(DataStream<FeatureRow> rows, ViewPlan plan, JobSettings settings) {
    // The version tag is part of the uids: a view whose meaning changed gets fresh sink state and
    // never commits rows prepared under another meaning.
    rows.sinkTo(
            PostgresOfflineSink.exactlyOnce(plan, settings.pgUrl())
                .servingOnline(settings.redisUrl()))
        .name(JobContract.offlineSinkName(plan))
        .uid(JobContract.offlineSinkUid(plan));
    rows.sinkTo(RedisOnlineSink.exactlyOnce(plan, settings.redisUrl()).restoredOnly())
        .name(JobContract.onlineSinkName(plan))
        .uid(JobContract.onlineSinkUid(plan));
  }
}
