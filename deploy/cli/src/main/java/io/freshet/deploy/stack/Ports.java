package io.freshet.deploy.stack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Probes of local TCP ports. */
public final class Ports {
  private Ports() {}

  /** A port nobody listens on right now (it may be taken by the time it is used). */
  public static int free() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new StackException("could not find a free local TCP port: " + e.getMessage(), e);
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
