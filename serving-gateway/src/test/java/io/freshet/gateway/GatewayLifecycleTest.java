package io.freshet.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.gateway.catalog.CatalogSource;
import io.freshet.gateway.catalog.LiveCatalog;
import io.freshet.plan.Catalog;
import io.freshet.testing.TestRedis;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Starting and stopping: a gateway leaves nothing behind, and a failed start says why. */
class GatewayLifecycleTest {
  private static final int DB = 1;
  private static final Catalog CATALOG = Catalog.load(GatewayLifecycleTest.class.getClassLoader());

  @Test
  void close_frees_vertx_lettuce_and_catalog_threads() throws InterruptedException {
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    GatewayServer gateway =
        GatewayServer.start(
            new GatewayConfig(0, TestRedis.uri(DB), CATALOG)
                .withViews(CatalogSource.polling(() -> CATALOG, Duration.ofMillis(20))));
    assertThat(new GatewayClient(gateway.port()).get("/ready").statusCode()).isEqualTo(200);
    assertThat(ownThreadsBesides(before)).isNotEmpty();

    gateway.close();
    gateway.close();

    List<String> left = ownThreadsBesides(before);
    for (int i = 0; i < 40 && !left.isEmpty(); i++) {
      Thread.sleep(50);
      left = ownThreadsBesides(before);
    }
    assertThat(left).as("threads still alive after close()").isEmpty();
  }

  @Test
  void start_on_a_taken_port_fails_naming_the_port() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("0.0.0.0"))) {
      int port = taken.getLocalPort();

      assertThatThrownBy(
              () -> GatewayServer.start(new GatewayConfig(port, TestRedis.uri(DB), CATALOG)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("gateway cannot listen on port " + port + ": ")
          .hasMessageEndingWith("(choose another port, or stop the process that holds it)");
    }
  }

  /** Live Vert.x and Lettuce threads that did not exist before. */
  private static List<String> ownThreadsBesides(Set<Thread> before) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> !before.contains(t) && t.isAlive())
        .map(Thread::getName)
        .filter(
            n ->
                n.startsWith("vert.x")
                    || n.startsWith("vertx")
                    || n.startsWith("lettuce")
                    || n.equals(LiveCatalog.THREAD_NAME))
        .collect(Collectors.toList());
  }
}
