package io.freshet.flink.sink.rejected;

import io.freshet.flink.source.RejectedEvent;
import io.freshet.offline.FreshetSchema;
import io.freshet.offline.RejectedEvents;
import io.freshet.offline.RejectedEventsWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Keeps dead letters and late events in {@code freshet.rejected_events}, one row per event and
 * view. The origin ({@code topic/partition@offset}) is unique per record, so a replay after a
 * restart inserts nothing twice. Layout, statement and writer in the offline store ({@link
 * RejectedEvents}, {@link RejectedEventsWriter}); the table comes from {@link FreshetSchema}, which
 * the writer applies when it starts and finds no table.
 */
public final class PostgresRejectedEventsSink implements Sink<RejectedEvent> {
  private static final long serialVersionUID = 1L;

  /** The table holding rejected events. */
  public static final String TABLE = RejectedEvents.TABLE;

  /** The {@code application_name} of the sink's sessions. */
  public static final String APPLICATION_NAME = "freshet-rejected-events-sink";

  private final String jdbcUrl;

  public PostgresRejectedEventsSink(String jdbcUrl) {
    this.jdbcUrl = jdbcUrl;
  }

  @Override
  public SinkWriter<RejectedEvent> createWriter(WriterInitContext context) throws IOException {
    return new Writer(RejectedEventsWriter.open(jdbcUrl, APPLICATION_NAME));
  }

  static final class Writer implements SinkWriter<RejectedEvent> {
    private final RejectedEventsWriter store;
    private final List<RejectedEvent> buffer = new ArrayList<>();

    Writer(RejectedEventsWriter store) {
      this.store = store;
    }

    @Override
    public void write(RejectedEvent r, Context context) throws IOException {
      buffer.add(r);
      if (buffer.size() >= 1000) {
        flush(false);
      }
    }

    @Override
    public void flush(boolean endOfInput) throws IOException {
      if (buffer.isEmpty()) {
        return;
      }
      List<RejectedEventsWriter.Event> events = new ArrayList<>(buffer.size());
      for (RejectedEvent r : buffer) {
        events.add(
            new RejectedEventsWriter.Event(
                r.view, r.kind.name(), r.origin, r.reason, r.payload, r.eventTs));
      }
      store.write(events);
      buffer.clear();
    }

    @Override
    public void close() {
      store.close();
    }
  }
}
