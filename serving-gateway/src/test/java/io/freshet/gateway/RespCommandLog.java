package io.freshet.gateway;

import io.freshet.online.RowReadScript;
import io.freshet.testing.TcpProxy;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the RESP commands a client sends, as they cross a {@link TcpProxy}: each command is an
 * array of bulk strings ({@code *2\r\n$3\r\nGET\r\n$1\r\nk\r\n}). Test code only; one instance per
 * connection direction, fed in order.
 */
final class RespCommandLog implements TcpProxy.Tap {
  /** One command: its name in upper case and its argument count. */
  record Command(String name, List<String> args) {
    /** Whether this is a run of the window-end row read script, by its SHA. */
    boolean rowRead() {
      return name.equals("EVALSHA") && args.get(0).equals(RowReadScript.SHA);
    }

    /** The keys of a script run ({@code EVALSHA sha numkeys key...}). */
    List<String> scriptKeys() {
      return args.subList(2, 2 + Integer.parseInt(args.get(1)));
    }
  }

  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private final List<Command> sink;

  RespCommandLog(List<Command> sink) {
    this.sink = sink;
  }

  @Override
  public synchronized void feed(byte[] buffer, int length) {
    pending.write(buffer, 0, length);
    byte[] bytes = pending.toByteArray();
    int consumed = 0;
    while (true) {
      int end = parse(bytes, consumed);
      if (end < 0) {
        break;
      }
      consumed = end;
    }
    pending.reset();
    pending.write(bytes, consumed, bytes.length - consumed);
  }

  /** Parses one command at {@code at}; returns where it ends, or -1 when it is incomplete. */
  private int parse(byte[] b, int at) {
    if (at >= b.length) {
      return -1;
    }
    if (b[at] != '*') {
      throw new IllegalStateException("not a RESP array at byte " + at + ": " + (char) b[at]);
    }
    int[] pos = {at + 1};
    long count = readLine(b, pos);
    if (count < 0) {
      return -1;
    }
    List<String> parts = new ArrayList<>();
    for (long i = 0; i < count; i++) {
      if (pos[0] >= b.length) {
        return -1;
      }
      if (b[pos[0]] != '$') {
        throw new IllegalStateException("not a bulk string at byte " + pos[0]);
      }
      pos[0]++;
      long len = readLine(b, pos);
      if (len < 0 || pos[0] + len + 2 > b.length) {
        return -1;
      }
      parts.add(new String(b, pos[0], (int) len, StandardCharsets.UTF_8));
      pos[0] += (int) len + 2;
    }
    sink.add(new Command(parts.get(0).toUpperCase(), List.copyOf(parts.subList(1, parts.size()))));
    return pos[0];
  }

  /** Reads digits up to CRLF; -1 when the line is incomplete. */
  private static long readLine(byte[] b, int[] pos) {
    long value = 0;
    int i = pos[0];
    while (i + 1 < b.length && !(b[i] == '\r' && b[i + 1] == '\n')) {
      value = value * 10 + (b[i] - '0');
      i++;
    }
    if (i + 1 >= b.length) {
      return -1;
    }
    pos[0] = i + 2;
    return value;
  }
}
