package io.freshet.deploy.cli;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import picocli.CommandLine;

/** Runs the {@code freshet} command in this JVM, as {@code deploy/bin/freshet} would. */
final class Cli {
  private Cli() {}

  /** What a run printed and returned. */
  record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  static Result run(String... args) {
    return run(FreshetCommand.commandLine(), args);
  }

  /** Runs with {@code env} as the environment instead of this process's. */
  static Result runWithEnv(Map<String, String> env, String... args) {
    return runWithEnvAndInput(env, "", args);
  }

  /** Runs with {@code env} as the environment and {@code stdin} as the standard input. */
  static Result runWithEnvAndInput(Map<String, String> env, String stdin, String... args) {
    CommandLine.IFactory factory =
        new CommandLine.IFactory() {
          @Override
          public <K> K create(Class<K> cls) throws Exception {
            Object command =
                cls == SubmitCommand.class
                    ? new SubmitCommand(env)
                    : cls == BackfillCommand.class
                        ? new BackfillCommand(env)
                        : cls == MaterializeCommand.class
                            ? new MaterializeCommand(env)
                            : cls == ApplyCommand.class
                                ? new ApplyCommand(env)
                                : cls == VerifyCommand.class
                                    ? new VerifyCommand(env, Clock.systemUTC())
                                    : cls == ProduceCommand.class
                                        ? new ProduceCommand(
                                            env,
                                            new ByteArrayInputStream(
                                                stdin.getBytes(StandardCharsets.UTF_8)))
                                        : null;
            return command != null ? cls.cast(command) : CommandLine.defaultFactory().create(cls);
          }
        };
    return run(FreshetCommand.commandLine(factory), args);
  }

  private static Result run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
