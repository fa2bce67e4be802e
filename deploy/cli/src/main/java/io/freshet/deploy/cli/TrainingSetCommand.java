package io.freshet.deploy.cli;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.progress.Progress;
import io.freshet.deploy.progress.ProgressTicker;
import io.freshet.training.FeatureSelection;
import io.freshet.training.LabelSource;
import io.freshet.training.ParquetCompression;
import io.freshet.training.TrainingSemantics;
import io.freshet.training.TrainingSetBuilder;
import io.freshet.training.TrainingSetManifest;
import io.freshet.training.TrainingSetOutput;
import io.freshet.training.TrainingSetProgress;
import io.freshet.training.TrainingSetRequest;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code freshet training-set}: builds a point-in-time-correct training set from a label table and
 * the offline tables, records its manifest, and rebuilds a recorded set identically.
 */
@Command(
    name = "training-set",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Builds a point-in-time-correct training set from a label table.",
      "",
      "One output row per label row: the label's columns unchanged, then one column per feature."
          + " For each label at time L and each view, the features come from the offline row with"
          + " the greatest window end F such that F + availability delay <= L, or are empty when"
          + " there is none or it is older than the view's TTL. The labels name each view's"
          + " entity key columns as the view does (e.g. user_id) and a time column (ISO-8601 with"
          + " an offset, or epoch milliseconds).",
      "",
      "While it runs it shows, on standard error, the labels read (with the share of a label"
          + " file read, by its bytes), then the rows joined and the rows written, each of as many"
          + " as there are labels, with the rate and the time left (--progress).",
      "",
      "Every set is recorded with a manifest (views and versions, label checksum, as-of time,"
          + " semantics, output checksum): --rebuild <id> writes the identical set again, even"
          + " after late events rewrote windows since.",
      "",
      "Views served at request time take, with --semantics final, every event within the"
          + " allowed lateness up to the tile boundary at or before L (the open tile is cut, so up"
          + " to one tile of the newest events is missing); with --semantics as-served, exactly"
          + " what the gateway returned at L, from the tile versions the online store served by"
          + " then. Window-end views take, with --semantics as-served, the row the online table"
          + " held at L, by the instants it served each row from. Labels before a view version"
          + " was first served have no serving history and take final values; the summary counts"
          + " them.",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the training set was written (or rebuilt identically)",
      "1:the labels, the offline tables or the output could not be used (the message names the"
          + " line, column or table), or a rebuild would differ; nothing partial is left",
      "2:the definitions or the command line are invalid"
    })
final class TrainingSetCommand implements Callable<Integer> {
  private static final String POSTGRES = "postgres:";

  @Spec CommandSpec spec;

  @Option(
      names = {"--labels", "--label"},
      paramLabel = "<labels>",
      description =
          "The label table: a CSV file with a header line, or postgres:<schema.table> in the"
              + " database of the offline tables.")
  String labels;

  @Option(
      names = {"--features", "--feature"},
      split = ",",
      paramLabel = "<view:feature>",
      description = "The features, in column order, e.g. user_activity:event_count_1h.")
  List<String> features;

  @Option(
      names = "--feature-service",
      paramLabel = "<name>",
      description = "The features of this feature service, instead of --features.")
  String featureService;

  @Option(
      names = "--output",
      paramLabel = "<output>",
      description =
          "Where to write the set: a CSV file, a Parquet file (a name ending in .parquet;"
              + " typed columns) - either replaced once complete - or postgres:<schema.table> (a"
              + " new table). With --rebuild: write the rebuilt set there instead of over the"
              + " recorded output.")
  String output;

  @Option(
      names = "--compression",
      paramLabel = "<codec>",
      description =
          "How a Parquet output is compressed: zstd (the default), snappy, gzip or none. The"
              + " set's content and checksum do not depend on it.")
  String compression;

  @Option(
      names = "--timestamp-column",
      defaultValue = TrainingSetRequest.DEFAULT_TIMESTAMP_COLUMN,
      paramLabel = "<column>",
      description = "The label column holding each label's time (default: ${DEFAULT-VALUE}).")
  String timestampColumn;

  @Option(
      names = "--as-of",
      paramLabel = "<instant>",
      description =
          "Read the offline tables as they were committed at this instant, e.g."
              + " 2026-11-20T12:00:00Z (default: the latest instant no writer can still commit"
              + " behind).")
  String asOf;

  @Option(
      names = "--semantics",
      paramLabel = "<as-served|final>",
      description =
          "Which values the set holds: final (default; every event within the allowed lateness,"
              + " point in time) or as-served (what the gateway returned at each label's time, to"
              + " the microsecond; views served at request time only).")
  String semantics;

  @Option(
      names = "--full-feature-names",
      description =
          "Name every feature column <view>__<feature> (default: only where names clash).")
  boolean fullFeatureNames;

  @Option(
      names = "--rebuild",
      paramLabel = "<id>",
      description = "Rebuild the recorded training set with this id, verified byte for byte.")
  String rebuild;

  @Mixin PostgresOption pg;
  @Mixin DefinitionsOption definitions;
  @Mixin ProgressOption progress;

  private final Map<String, String> env;

  TrainingSetCommand() {
    this(System.getenv());
  }

  TrainingSetCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    UUID rebuildId = rebuild == null ? null : rebuildId();
    TrainingSetRequest request = rebuildId == null ? request() : null;
    if (rebuildId != null && output == null && compression != null) {
      throw new UsageException(
          "--compression needs --output <file.parquet>: a rebuild in place writes the recorded"
              + " output as it was recorded");
    }
    TrainingSetOutput rebuildOutput = rebuildId != null && output != null ? output(output) : null;
    Definitions defs = definitions.load();
    Setting pgSetting = pg.resolve(env);

    progress.resolve();
    long t = System.nanoTime();
    TrainingSetProgress counts = new TrainingSetProgress();
    TrainingSetBuilder builder =
        TrainingSetBuilder.open(defs.catalog(), pgSetting.value()).withProgress(counts);
    TrainingSetManifest m;
    try (ProgressTicker ticker =
        progress.start(spec.commandLine().getErr(), () -> progressOf(counts))) {
      m =
          rebuildId == null
              ? builder.build(request)
              : rebuildOutput == null
                  ? builder.rebuild(rebuildId)
                  : builder.rebuild(rebuildId, rebuildOutput);
    }
    double seconds = (System.nanoTime() - t) / 1e9;

    out.printf(
        "Training set %s %s: %d row%s written to %s in %.1f s%n",
        m.id(),
        rebuildId == null ? "built" : "rebuilt identically",
        m.rowCount(),
        m.rowCount() == 1 ? "" : "s",
        describe(rebuildOutput != null ? rebuildOutput : m.output()),
        seconds);
    out.printf("  labels    %s (sha256 %s)%n", describe(m.labels()), m.labelSha256());
    out.printf(
        "  features  %s%s%n",
        m.featureService() == null ? "" : "service " + m.featureService() + ": ",
        String.join(", ", m.features().stream().map(Object::toString).toList()));
    out.printf("  semantics %s%n", m.semantics());
    for (TrainingSetManifest.ViewVersion v : m.views()) {
      out.printf(
          "  view      %s version %s, keyed by %s%n",
          v.view(), v.versionTag(), String.join(", ", v.keyColumns()));
      if (m.semantics() == TrainingSemantics.AS_SERVED) {
        out.printf(
            "            %s; %d label%s before it took final values%n",
            v.firstServedAt() == null
                ? "never served online"
                : "first served online at " + v.firstServedAt(),
            v.labelsBeforeFirstServed(),
            v.labelsBeforeFirstServed() == 1 ? "" : "s");
      }
    }
    out.printf("  as of     %s (offline rows as committed then)%n", m.asOf());
    out.printf("  output    sha256 %s%n", m.outputSha256());
    out.printf("  registry  %s%n", PostgresOption.display(pgSetting.value()));
    if (rebuildId == null) {
      out.printf(
          "%nRebuild it identically later with: freshet training-set --rebuild %s%n", m.id());
    }
    out.flush();
    return FreshetCommand.EXIT_OK;
  }

  /** The build's stages as the progress display shows them. */
  static List<Progress> progressOf(TrainingSetProgress counts) {
    List<Progress> out = new ArrayList<>();
    for (TrainingSetProgress.StageState s : counts.stages()) {
      String task =
          switch (s.stage()) {
            case LABELS -> "reading labels";
            case JOIN -> "joining";
            case WRITE -> "writing";
          };
      String unit = s.stage() == TrainingSetProgress.Stage.LABELS ? "labels" : "rows";
      long total = s.total() < 0 ? Progress.UNKNOWN : s.total();
      Progress p =
          s.finished()
              ? Progress.finished(task, unit, s.done(), total)
              : Progress.running(task, unit, s.done(), total);
      out.add(total == Progress.UNKNOWN && !Double.isNaN(s.share()) ? p.withShare(s.share()) : p);
    }
    return out;
  }

  private UUID rebuildId() {
    if (labels != null
        || features != null
        || featureService != null
        || asOf != null
        || semantics != null
        || fullFeatureNames
        || !TrainingSetRequest.DEFAULT_TIMESTAMP_COLUMN.equals(timestampColumn)) {
      throw new UsageException(
          "--rebuild takes labels, features, time column, as-of time and semantics from the"
              + " recorded manifest: leave out --labels, --features, --feature-service,"
              + " --timestamp-column, --as-of, --semantics and --full-feature-names (--output may"
              + " name another place to write it)");
    }
    try {
      return UUID.fromString(rebuild.strip());
    } catch (IllegalArgumentException e) {
      throw new UsageException(
          "--rebuild '" + rebuild + "' is not a training set id (a UUID, as the build printed)", e);
    }
  }

  private TrainingSetRequest request() {
    if (labels == null) {
      throw new UsageException(
          "name the label table with --labels <file.csv> or --labels postgres:<schema.table>");
    }
    if ((features == null) == (featureService == null)) {
      throw new UsageException(
          "name the features with either --features view:feature,... or --feature-service"
              + " <name>");
    }
    if (output == null) {
      throw new UsageException(
          "name the output with --output <file.csv>, --output <file.parquet> or --output"
              + " postgres:<schema.table>");
    }
    LabelSource labelSource;
    FeatureSelection selection;
    try {
      if (labels.startsWith(POSTGRES)) {
        labelSource = LabelSource.postgresTable(labels.substring(POSTGRES.length()));
      } else {
        Path file = Path.of(labels);
        if (!Files.isRegularFile(file)) {
          throw new UsageException("--labels " + labels + ": there is no such file");
        }
        labelSource = LabelSource.csv(file);
      }
      selection =
          features != null
              ? FeatureSelection.of(features.stream().map(String::strip).toList())
              : FeatureSelection.service(featureService);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage(), e);
    }
    TrainingSetRequest request =
        TrainingSetRequest.of(labelSource, selection, output(output))
            .withTimestampColumn(timestampColumn);
    if (asOf != null) {
      try {
        request = request.withAsOf(Instant.parse(asOf));
      } catch (DateTimeParseException e) {
        throw new UsageException(
            "--as-of '" + asOf + "' is not an ISO-8601 instant (write e.g. 2026-11-20T12:00:00Z)",
            e);
      }
    }
    if (semantics != null) {
      try {
        request = request.withSemantics(TrainingSemantics.parse(semantics));
      } catch (IllegalArgumentException e) {
        throw new UsageException("--semantics '" + semantics + "': write as-served or final", e);
      }
    }
    return fullFeatureNames ? request.withFullFeatureNames() : request;
  }

  private TrainingSetOutput output(String text) {
    boolean parquet = text.toLowerCase(Locale.ROOT).endsWith(".parquet");
    if (compression != null && !parquet) {
      throw new UsageException(
          "--compression "
              + compression
              + " applies to Parquet output only: name a file ending in"
              + " .parquet with --output, or leave out --compression");
    }
    try {
      if (text.startsWith(POSTGRES)) {
        return TrainingSetOutput.postgresTable(text.substring(POSTGRES.length()));
      }
      if (parquet) {
        return TrainingSetOutput.parquet(
            Path.of(text),
            compression == null ? ParquetCompression.ZSTD : ParquetCompression.parse(compression));
      }
    } catch (IllegalArgumentException e) {
      throw new UsageException(
          (compression != null && parquet ? "--compression " : "--output ")
              + (compression != null && parquet ? compression : text)
              + ": "
              + e.getMessage(),
          e);
    }
    return TrainingSetOutput.csv(Path.of(text));
  }

  private static String describe(TrainingSetOutput o) {
    return o.localFile().map(Path::toString).orElseGet(o::describe);
  }

  private static String describe(LabelSource l) {
    return l instanceof LabelSource.CsvFile f ? f.file().toString() : l.describe();
  }
}
