package io.freshet.deploy.stack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ThreadLocalRandom;

/** Probes of local TCP ports. */
public final class Ports {
  static final int LOW = 20_000;
  static final int HIGH = 32_767;

  private Ports() {}

  /**
   * A port nobody listens on right now (it may be taken by the time it is used). It is drawn at
   * random from {@value #LOW}..{@value #HIGH}, below the ephemeral range Linux gives outgoing
   * connections by default (32768 and up): a port from that range, picked now and bound seconds
   * later by a child process, can meanwhile become the local end of any connection on the machine,
   * and the child then fails with "Address already in use". Falls back to a port the kernel picks
   * when the whole low range looks taken.
   */
  public static int free() {
    for (int attempt = 0; attempt < 64; attempt++) {
      int port = LOW + ThreadLocalRandom.current().nextInt(HIGH - LOW + 1);
      if (bindable(port)) {
        return port;
      }
    }
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new StackException("could not find a free local TCP port: " + e.getMessage(), e);
    }
  }

  /** Whether {@code port} can be bound on all interfaces and on loopback now. */
  private static boolean bindable(int port) {
    try (ServerSocket any = new ServerSocket()) {
      any.bind(new InetSocketAddress(port), 1);
    } catch (IOException e) {
      return false;
    }
    try (ServerSocket loopback = new ServerSocket()) {
      loopback.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** True when something accepts connections on host:port within 300 ms. */
  public static boolean listening(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 300);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Fails with an actionable message when {@code port} cannot be bound on all interfaces or on
   * loopback, or is already answering.
   *
   * @param what what the port is for, e.g. "the Flink web UI"
   * @param flag the option that chooses another port, e.g. "--flink-ui-port"
   */
  public static void requireFree(int port, String what, String flag) {
    if (port <= 0 || port > 65535) {
      throw new StackException(
          "port " + port + " for " + what + " is not a TCP port (use 1-65535 with " + flag + ")");
    }
    boolean bindable;
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      bindable = true;
    } catch (IOException e) {
      bindable = false;
    }
    if (!bindable || listening("127.0.0.1", port)) {
      throw new StackException(
          "port "
              + port
              + " for "
              + what
              + " is already in use (is another Flink, gateway or `freshet demo` running?):"
              + " stop that process or choose another port with "
              + flag
              + " <port>");
    }
  }
}
