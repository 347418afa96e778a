package dev.lazyattention.spark;

import dev.lazyattention.engine.DjlSetup;
import dev.lazyattention.engine.MissingEngineException;
import dev.lazyattention.eval.ScoringConfig;
import dev.lazyattention.settings.FrontEnd;
import dev.lazyattention.settings.SettingOptions;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The Spark job: reads text from any Spark source, scores every document and/or sentence with a {@code
 * .lazylm.zip} and writes the scores. For {@code spark-submit}:
 *
 * <pre>
 * spark-submit --class dev.lazyattention.spark.ScoreCorpus --files model.lazylm.zip --jars ... \
 *     spark-scoring.jar --model model.lazylm.zip --input corpus/ --format text --output scores/
 * </pre>
 *
 * Exit status 0 on success, 1 on failure (the message names the file or option), 2 for a usage error.
 */
@Command(name = "ScoreCorpus", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        modelTransformer = ScoreCorpus.Settings.class,
        description = "Scores documents and sentences of a Spark source with a Lazy Attention model (.lazylm.zip).")
public final class ScoreCorpus implements Callable<Integer> {

    /** Adds an option for every scoring setting the Spark job takes. */
    static final class Settings implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            return SettingOptions.addTo(spec, FrontEnd.SPARK, ScoringConfig.SETTINGS.builder(),
                    ScoringConfig.SETTINGS.settings(FrontEnd.SPARK));
        }
    }

    @Option(names = "--input", required = true, split = ",",
            description = "Input paths (comma-separated), or the table name for --format table.")
    List<String> input;

    @Option(names = "--format", defaultValue = "text",
            description = "Text (a document per line), parquet, json, table, or any Spark source name.")
    String format;

    @Option(names = "--wholetext", description = "Text format: a document per file instead of per line.")
    boolean wholeText;

    @Option(names = "--text-column", description = "The column to score (default: value for text, else text).")
    String textColumn;

    @Option(names = "--output", required = true, description = "Output path.")
    String output;

    @Option(names = "--output-format", defaultValue = "parquet",
            description = "Parquet, json, orc, csv (not with --level both).")
    String outputFormat;

    @Option(names = "--overwrite", description = "Replace an existing output (default: fail if it exists).")
    boolean overwrite;

    @Option(names = "--level", defaultValue = "both",
            description = "Documents, sentences, or both (a row per document with an array of its sentences).")
    String level;

    @Option(names = "--partitions", defaultValue = "0",
            description = "Repartition the input into this many partitions first, 0 to keep its own.")
    int partitions;

    @Option(names = "--master",
            description = "Spark master when not started by spark-submit (default: spark.master, else local[*]).")
    String master;

    @CommandLine.Spec
    CommandSpec spec;

    private final SparkSession session;

    private ScoreCorpus(SparkSession session) {
        this.session = session;
    }

    public static void main(String[] args) {
        int status = run(null, args);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the job and returns the exit status.
     *
     * @param spark the session to use (it stays open), or null to start one and stop it at the end
     */
    public static int run(SparkSession spark, String... args) {
        DjlSetup.offline();
        CommandLine cli = new CommandLine(new ScoreCorpus(spark));
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("ScoreCorpus: " + describe(e));
            if (Boolean.getBoolean("lazyattention.stacktrace")) {
                e.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        ScoringConfig cfg;
        OutputLevel outputLevel;
        try {
            cfg = SettingOptions.read(spec, FrontEnd.SPARK, ScoringConfig.SETTINGS.builder());
            outputLevel = OutputLevel.parse(level);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        String out = outputFormat.toLowerCase(Locale.ROOT);
        if (out.equals("csv") && outputLevel == OutputLevel.BOTH) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--output-format csv cannot hold the sentence arrays of --level both; use documents or sentences");
        }
        SparkSession spark = session != null ? session : start();
        try {
            Dataset<Row> docs = read(spark);
            if (partitions > 0) {
                docs = docs.repartition(partitions);
            }
            String column = textColumn != null ? textColumn : isText() ? "value" : "text";
            LazyLmScoring.score(docs, column, cfg, outputLevel).write()
                    .mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists)
                    .format(out)
                    .option("header", out.equals("csv")) // column names in CSV; other formats ignore it
                    .save(output);
            System.err.println("ScoreCorpus: wrote " + output);
            return 0;
        } finally {
            if (session == null) {
                spark.stop();
            }
        }
    }

    private SparkSession start() {
        SparkSession.Builder builder = SparkSession.builder().appName("lazylm-score");
        if (master != null) {
            builder.master(master);
        } else if (System.getProperty("spark.master") == null) {
            builder.master("local[*]");
        }
        return builder.getOrCreate();
    }

    private boolean isText() {
        return format.equalsIgnoreCase("text");
    }

    /** The input; text gets a {@code path} and a {@code documentId} (unique, not consecutive) per document. */
    private Dataset<Row> read(SparkSession spark) {
        if (format.equalsIgnoreCase("table")) {
            if (input.size() != 1) {
                throw new IllegalArgumentException("--format table takes one table name, got " + input);
            }
            return spark.table(input.get(0));
        }
        DataFrameReader reader = spark.read().format(format.toLowerCase(Locale.ROOT));
        if (isText()) {
            Dataset<Row> lines = reader.option("wholetext", wholeText).load(input.toArray(new String[0]));
            return lines.select(functions.col("_metadata.file_path").as("path"),
                    functions.monotonically_increasing_id().as("documentId"), functions.col("value"));
        }
        return reader.load(input.toArray(new String[0]));
    }

    /**
     * The most useful message in the cause chain: a Spark job failure wraps the executor's exception, which
     * may wrap the one that names the file (a model file's reader names the file and the entry) or the missing
     * engine.
     */
    static String describe(Throwable e) {
        Throwable chosen = null;
        for (Throwable t = e; t != null && chosen == null; t = t.getCause() == t ? null : t.getCause()) {
            boolean explains = t instanceof IllegalArgumentException || t instanceof IllegalStateException
                    || t instanceof MissingEngineException
                    || (t instanceof IOException && !(t instanceof UncheckedIOException));
            if (explains && t.getMessage() != null && !t.getMessage().isBlank()) {
                chosen = t;
            }
        }
        if (chosen == null) {
            chosen = e;
        }
        return chosen.getMessage() == null || chosen.getMessage().isBlank() ? chosen.toString() : chosen.getMessage();
    }
}
