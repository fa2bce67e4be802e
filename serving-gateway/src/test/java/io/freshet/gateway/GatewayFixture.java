package io.freshet.gateway;

import io.freshet.plan.Catalog;
import io.freshet.testing.TcpProxy;
import io.freshet.testing.TestRedis;
import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/**
 * A gateway on a free port reading the test Redis through a {@link TcpProxy}, so a test can see
 * every command it sends, and a writer straight to that Redis. Flushes the test database first and
 * loads the row read script, so that the gateway's first read is one EVALSHA as every later one.
 */
final class GatewayFixture implements AutoCloseable {
  static final int DB = 1;

  final TcpProxy proxy;
  private final List<RespCommandLog.Command> commands = new CopyOnWriteArrayList<>();
  final OnlineTableWriter table;
  final GatewayServer gateway;
  final GatewayClient client;

  GatewayFixture(UnaryOperator<GatewayConfig> configure) throws IOException {
    this(TestViews.catalog(), configure);
  }

  /** A gateway serving {@code catalog}. */
  GatewayFixture(Catalog catalog, UnaryOperator<GatewayConfig> configure) throws IOException {
    RedisURI redis = RedisURI.create(TestRedis.uri(DB));
    proxy = new TcpProxy(redis.getHost(), redis.getPort(), () -> new RespCommandLog(commands));
    proxy.start();
    table = new OnlineTableWriter(TestRedis.uri(DB));
    table.flushDb();
    table.loadRowReadScript();
    GatewayServer started = null;
    try {
      started = GatewayServer.start(configure.apply(new GatewayConfig(0, viaProxy(), catalog)));
    } finally {
      if (started == null) {
        table.close();
        proxy.close();
      }
    }
    gateway = started;
    client = new GatewayClient(gateway.port());
  }

  /** Every command sent to Redis through the proxy so far, in arrival order per connection. */
  List<RespCommandLog.Command> commands() {
    return List.copyOf(commands);
  }

  /** The commands sent since {@code mark}, a count read earlier from {@code commands().size()}. */
  List<RespCommandLog.Command> commandsSince(int mark) {
    List<RespCommandLog.Command> all = commands();
    return all.subList(Math.min(mark, all.size()), all.size());
  }

  /** The test Redis, reached through the proxy. */
  String viaProxy() {
    RedisURI redis = RedisURI.create(TestRedis.uri(DB));
    redis.setHost("127.0.0.1");
    redis.setPort(proxy.port());
    return redis.toURI().toString();
  }

  /** A window end within every test view's TTL: the last full hour. */
  static long recentWindowEnd() {
    return Instant.now().truncatedTo(ChronoUnit.HOURS).toEpochMilli();
  }

  @Override
  public void close() throws IOException {
    gateway.close();
    table.close();
    proxy.close();
  }
}
