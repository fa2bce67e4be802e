package io.freshet.deploy.cluster;

import io.freshet.deploy.cli.FreshetCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** What a run of the {@code freshet} command in this JVM printed and returned. */
record CommandRun(int exitCode, String out, String err) {
  static CommandRun freshet(String... args) {
    CommandLine cl = new CommandLine(new FreshetCommand());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new CommandRun(code, out.toString(), err.toString());
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
  }
}
