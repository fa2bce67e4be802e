package io.freshet.deploy.cli;

import io.freshet.deploy.definitions.InvalidDefinitionsException;
import io.freshet.deploy.flink.FlinkRestException;
import io.freshet.deploy.stack.StackException;
import io.freshet.registry.RegistryException;
import io.freshet.training.TrainingSetException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

/**
 * The {@code freshet} command: one entry point with a subcommand per task. Configuration comes from
 * flags, falling back to the environment variables {@code FRESHET_PG_URL}, {@code
 * FRESHET_REDIS_URL}, {@code FRESHET_KAFKA} and {@code FRESHET_FLINK}.
 */
@Command(
    name = "freshet",
    mixinStandardHelpOptions = true,
    versionProvider = FreshetCommand.Version.class,
    subcommands = {
      DemoCommand.class,
      InitCommand.class,
      ApplyCommand.class,
      SubmitCommand.class,
      BackfillCommand.class,
      MaterializeCommand.class,
      ProduceCommand.class,
      TrainingSetCommand.class,
      VerifyCommand.class,
      RestoreOnlineCommand.class,
      ServeCommand.class,
      HelpCommand.class
    },
    description = {
      "Real-time ML features on Apache Flink: features declared once in Java drive the streaming"
          + " job, the offline table in Postgres and the online table behind the gateway.",
      ""
    },
    footer = {
      "",
      "Configuration: flags, else the environment variables FRESHET_PG_URL (JDBC URL),"
          + " FRESHET_REDIS_URL (redis://...), FRESHET_KAFKA (bootstrap servers), FRESHET_FLINK"
          + " (Flink REST URL). Commands use the bundled example definitions unless"
          + " --definitions <jar> names yours.",
      "",
      "Exit codes: 0 done; 1 a store, the cluster or a job failed (verify: the stores disagree);"
          + " 2 invalid command line or definitions, nothing done; 3 (produce) some events"
          + " were rejected, each printed with its line, and the others sent."
    })
public final class FreshetCommand implements Runnable {
  /** The exit code of a command that did what was asked. */
  static final int EXIT_OK = 0;

  /**
   * The exit code of a command that could not finish: a store or cluster could not be reached, a
   * job failed, or (for {@code verify}) the stores disagree.
   */
  static final int EXIT_FAILED = 1;

  /**
   * The exit code of a command line or definitions that cannot be used as given (as picocli's own
   * usage errors): nothing was started or written.
   */
  static final int EXIT_INVALID = CommandLine.ExitCode.USAGE;

  /**
   * The exit code of {@code produce} when some events were rejected: each was printed with its line
   * and reason and not sent; the good ones were sent.
   */
  static final int EXIT_REJECTED = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    int code = commandLine().execute(args);
    // After a signal the JVM is already shutting down; System.exit would block forever.
    if (!StopSignal.signalled()) {
      System.exit(code);
    }
  }

  static CommandLine commandLine() {
    return commandLine(CommandLine.defaultFactory());
  }

  /** The command line with subcommands made by {@code factory} (tests give them an environment). */
  static CommandLine commandLine(CommandLine.IFactory factory) {
    CommandLine cl = new CommandLine(new FreshetCommand(), factory);
    cl.setExecutionExceptionHandler(FreshetCommand::handle);
    return cl;
  }

  /**
   * Problems a person can act on print as one message: invalid definitions and command lines exit
   * with {@link #EXIT_INVALID}, unreachable or failing services with {@link #EXIT_FAILED}. Anything
   * else prints with its stack trace.
   */
  private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parseResult) {
    PrintWriter err = cl.getErr();
    String prefix = "freshet " + cl.getCommandName();
    int code = EXIT_FAILED;
    if (e instanceof InvalidDefinitionsException || e instanceof UsageException) {
      err.println(cl.getColorScheme().errorText(prefix + ": " + e.getMessage()));
      code = EXIT_INVALID;
    } else if (e instanceof StackException
        || e instanceof FlinkRestException
        || e instanceof RegistryException
        || e instanceof TrainingSetException) {
      err.println(cl.getColorScheme().errorText(prefix + ": " + e.getMessage()));
    } else {
      err.println(cl.getColorScheme().errorText(prefix + " failed:"));
      e.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  /** The version of the jar this class came from. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = FreshetCommand.class.getPackage().getImplementationVersion();
      return new String[] {"freshet " + (v == null ? "(development build)" : v)};
    }
  }
}
