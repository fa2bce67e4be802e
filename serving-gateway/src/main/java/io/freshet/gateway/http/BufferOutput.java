package io.freshet.gateway.http;

import io.vertx.core.buffer.Buffer;
import java.io.OutputStream;

/** Appends what a generator flushes to a response buffer, without an intermediate copy. */
final class BufferOutput extends OutputStream {
  private final Buffer buffer;

  BufferOutput(Buffer buffer) {
    this.buffer = buffer;
  }

  @Override
  public void write(int b) {
    buffer.appendByte((byte) b);
  }

  @Override
  public void write(byte[] b, int off, int len) {
    buffer.appendBytes(b, off, len);
  }
}
