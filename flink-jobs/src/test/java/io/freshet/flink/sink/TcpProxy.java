package io.freshet.flink.sink;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of a real server that can play a server restart: {@link #restart} drops
 * every open connection and refuses new ones for a while, then accepts again on the same port.
 */
public final class TcpProxy implements AutoCloseable {
  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private volatile ServerSocket server;
  private volatile boolean closed;

  public TcpProxy(String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress("127.0.0.1", 0));
    this.port = s.getLocalPort();
    listen(s);
  }

  /** The port clients connect to. */
  public int port() {
    return port;
  }

  /** Connections accepted so far. */
  public int accepted() {
    return accepted.get();
  }

  /**
   * Drops every connection now and refuses new ones for {@code outage}, in the background; returns
   * at once.
   */
  public void restart(Duration outage) {
    ServerSocket s = server;
    server = null;
    closeQuietly(s);
    open.forEach(TcpProxy::closeQuietly);
    open.clear();
    Thread t =
        new Thread(
            () -> {
              try {
                Thread.sleep(outage.toMillis());
                if (!closed) {
                  ServerSocket again = new ServerSocket();
                  again.setReuseAddress(true);
                  again.bind(new InetSocketAddress("127.0.0.1", port));
                  listen(again);
                }
              } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("proxy could not listen again on " + port, e);
              }
            },
            "tcp-proxy-restart-" + port);
    t.setDaemon(true);
    t.start();
  }

  private void listen(ServerSocket s) {
    server = s;
    Thread acceptor =
        new Thread(
            () -> {
              while (!s.isClosed()) {
                try {
                  Socket client = s.accept();
                  accepted.incrementAndGet();
                  Socket upstream = new Socket(targetHost, targetPort);
                  client.setTcpNoDelay(true);
                  upstream.setTcpNoDelay(true);
                  open.add(client);
                  open.add(upstream);
                  pump(client, upstream);
                  pump(upstream, client);
                } catch (IOException e) {
                  // closed by restart() or close(); or the target refused
                }
              }
            },
            "tcp-proxy-accept-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[64 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                  out.write(buf, 0, n);
                }
              } catch (IOException e) {
                // the other side went away
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
              }
            },
            "tcp-proxy-pump-" + port);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    open.forEach(TcpProxy::closeQuietly);
    open.clear();
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
