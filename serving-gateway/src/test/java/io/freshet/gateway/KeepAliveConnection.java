package io.freshet.gateway;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;

/**
 * One HTTP/1.1 keep-alive connection to the gateway, reopened when the gateway closes it. Bounded:
 * an answer that does not come within {@link GatewayClient#REQUEST_TIMEOUT} is an IOException.
 */
final class KeepAliveConnection implements AutoCloseable {
  private final int port;
  private Socket socket;
  private InputStream in;

  KeepAliveConnection(int port) {
    this.port = port;
  }

  /** Sends these exact request bytes and reads one response. */
  GatewayClient.RawResponse send(byte[] request) throws IOException {
    if (socket == null) {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout((int) GatewayClient.REQUEST_TIMEOUT.toMillis());
      socket.setTcpNoDelay(true);
      in = new BufferedInputStream(socket.getInputStream());
    }
    try {
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      GatewayClient.RawResponse response = GatewayClient.readResponse(in);
      if ("close".equalsIgnoreCase(response.headers().get("connection"))) {
        close();
      }
      return response;
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    if (socket != null) {
      socket.close();
      socket = null;
      in = null;
    }
  }
}
