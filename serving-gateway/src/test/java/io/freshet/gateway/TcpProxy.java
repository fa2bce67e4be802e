package io.freshet.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay in front of the test Redis that a test can cut and restore, to stage an outage of a
 * real server without touching it, and that records every command clients send through it, to show
 * what the gateway asked Redis. Blocking sockets, a thread per direction: test traffic only.
 */
final class TcpProxy implements AutoCloseable {
  private final int port;
  private final String targetHost;
  private final int targetPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final List<RespCommandLog.Command> commands = new CopyOnWriteArrayList<>();
  private ServerSocket server;
  private volatile boolean frozen;

  /**
   * A proxy on a free port that is not listening yet. The port is below the ephemeral range: a
   * client reconnecting over and over to an ephemeral port nobody listens on can be given that same
   * port as its source and connect to itself (TCP simultaneous open), which would end an outage
   * staged by {@link #stop()} behind the test's back.
   */
  TcpProxy(String targetHost, int targetPort) throws IOException {
    this.port = freePortBelowEphemeralRange();
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  private static int freePortBelowEphemeralRange() throws IOException {
    Random random = new Random();
    for (int i = 0; i < 200; i++) {
      int candidate = 20_000 + random.nextInt(12_000);
      try (ServerSocket probe = new ServerSocket()) {
        probe.setReuseAddress(true);
        probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), candidate));
        return candidate;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no free port in 20000..31999 for the test proxy");
  }

  int port() {
    return port;
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

  /** Starts accepting on {@link #port()} and relaying to the target. */
  synchronized void start() throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    server = s;
    Thread acceptor = new Thread(() -> accept(s), "tcp-proxy-accept-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Stops listening and cuts every relayed connection, as a crashed server would. */
  synchronized void stop() throws IOException {
    if (server != null) {
      server.close();
      server = null;
    }
    for (Socket socket : sockets) {
      socket.close();
    }
    sockets.clear();
  }

  @Override
  public void close() throws IOException {
    stop();
  }

  private void accept(ServerSocket s) {
    while (!s.isClosed()) {
      Socket client;
      try {
        client = s.accept();
      } catch (IOException e) {
        return; // closed by stop()
      }
      sockets.add(client);
      try {
        Socket upstream = new Socket(targetHost, targetPort);
        sockets.add(upstream);
        relay(client, upstream, new RespCommandLog(commands));
        relay(upstream, client, null);
      } catch (IOException e) {
        closeQuietly(client); // the target refused: the client sees a dropped connection
      }
    }
  }

  /** Holds every byte in flight until {@link #thaw()}: a Redis that accepts but never answers. */
  void freeze() {
    frozen = true;
  }

  void thaw() {
    frozen = false;
  }

  private void relay(Socket from, Socket to, RespCommandLog log) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[8192];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                  while (frozen) {
                    Thread.sleep(10);
                  }
                  if (log != null) {
                    log.feed(buffer, n);
                  }
                  out.write(buffer, 0, n);
                }
              } catch (IOException | InterruptedException e) {
                // one side closed
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "tcp-proxy-relay-" + port);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }
}
