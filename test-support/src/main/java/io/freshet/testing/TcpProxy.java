package io.freshet.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A TCP relay in front of a real server (the test Postgres or Redis) that a test can cut, freeze
 * and restore, to stage an outage of the server without touching it. Blocking sockets, a thread per
 * direction: test traffic only.
 *
 * <p>The relay's port is below the ephemeral range and reserved for it from construction to {@link
 * #close()}, listening or not. A client reconnecting over and over to an ephemeral port nobody
 * listens on can be given that same port as its source and connect to itself (TCP simultaneous
 * open), or find another test's socket there: either would end a staged outage behind the test's
 * back. Nothing but another relay binds below the ephemeral range, and relays never share a port.
 */
public final class TcpProxy implements AutoCloseable {
  /** Reads the bytes clients send through the relay; one instance per connection, fed in order. */
  public interface Tap {
    void feed(byte[] buffer, int length);
  }

  private static final Set<Integer> RESERVED = ConcurrentHashMap.newKeySet();
  private static final Random RANDOM = new Random();

  private final String targetHost;
  private final int targetPort;
  private final Supplier<? extends Tap> clientTap;
  private final int port;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private ServerSocket server;
  private boolean closed;
  private volatile boolean frozen;

  /** A relay to {@code targetHost:targetPort} on a reserved port, not listening yet. */
  public TcpProxy(String targetHost, int targetPort) throws IOException {
    this(targetHost, targetPort, null);
  }

  /**
   * A relay that also hands what clients send to a new {@code clientTap} per connection, e.g. to
   * record the commands a client sent to Redis.
   */
  public TcpProxy(String targetHost, int targetPort, Supplier<? extends Tap> clientTap)
      throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.clientTap = clientTap;
    this.port = reservePort();
  }

  /** A relay to {@code targetHost:targetPort}, listening. */
  public static TcpProxy started(String targetHost, int targetPort) throws IOException {
    TcpProxy proxy = new TcpProxy(targetHost, targetPort);
    proxy.start();
    return proxy;
  }

  private static int reservePort() throws IOException {
    for (int i = 0; i < 200; i++) {
      int candidate = 20_000 + RANDOM.nextInt(12_000);
      if (!RESERVED.add(candidate)) {
        continue;
      }
      try (ServerSocket probe = new ServerSocket()) {
        probe.setReuseAddress(true);
        probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), candidate));
        return candidate;
      } catch (IOException taken) {
        RESERVED.remove(candidate);
      }
    }
    throw new IOException("no free port in 20000..31999 for a test proxy");
  }

  /** The port clients connect to. */
  public int port() {
    return port;
  }

  /** Connections accepted so far. */
  public int accepted() {
    return accepted.get();
  }

  /** Starts accepting on {@link #port()} and relaying to the target; does nothing if it does. */
  public synchronized void start() throws IOException {
    if (closed) {
      throw new IllegalStateException("proxy on " + port + " is closed");
    }
    if (server != null) {
      return;
    }
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    server = s;
    Thread acceptor = new Thread(() -> accept(s), "tcp-proxy-accept-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Stops listening and cuts every relayed connection, as a crashed server would. */
  public synchronized void stop() {
    closeQuietly(server);
    server = null;
    open.forEach(TcpProxy::closeQuietly);
    open.clear();
  }

  /**
   * Plays a server restart: {@link #stop()} now, {@link #start()} again after {@code outage}, in
   * the background; returns at once. A proxy closed meanwhile stays closed.
   */
  public void restart(Duration outage) {
    stop();
    Thread t =
        new Thread(
            () -> {
              try {
                Thread.sleep(outage.toMillis());
                synchronized (this) {
                  if (!closed) {
                    start();
                  }
                }
              } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("proxy could not listen again on " + port, e);
              }
            },
            "tcp-proxy-restart-" + port);
    t.setDaemon(true);
    t.start();
  }

  /** Holds every byte in flight until {@link #thaw()}: a server that accepts but never answers. */
  public void freeze() {
    frozen = true;
  }

  public void thaw() {
    frozen = false;
  }

  @Override
  public synchronized void close() {
    closed = true;
    stop();
    RESERVED.remove(port);
  }

  private void accept(ServerSocket s) {
    while (!s.isClosed()) {
      Socket client;
      try {
        client = s.accept();
      } catch (IOException e) {
        return; // closed by stop()
      }
      accepted.incrementAndGet();
      Socket upstream;
      try {
        upstream = new Socket(targetHost, targetPort);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
      } catch (IOException e) {
        closeQuietly(client); // the target refused: the client sees a dropped connection
        continue;
      }
      synchronized (this) {
        if (server != s) {
          // stopped while this connection was set up: cut it as stop() cut the others
          closeQuietly(client);
          closeQuietly(upstream);
          continue;
        }
        open.add(client);
        open.add(upstream);
      }
      relay(client, upstream, clientTap == null ? null : clientTap.get());
      relay(upstream, client, null);
    }
  }

  private void relay(Socket from, Socket to, Tap tap) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[64 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                  while (frozen) {
                    Thread.sleep(10);
                  }
                  if (tap != null) {
                    tap.feed(buffer, n);
                  }
                  out.write(buffer, 0, n);
                }
              } catch (IOException | InterruptedException e) {
                // one side went away
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
              }
            },
            "tcp-proxy-relay-" + port);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception ignored) {
      // closing anyway
    }
  }
}
