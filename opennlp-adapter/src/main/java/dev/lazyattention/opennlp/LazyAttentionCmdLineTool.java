package dev.lazyattention.opennlp;

import dev.lazyattention.engine.EngineThreads;
import dev.lazyattention.names.ClosestName;
import opennlp.tools.cmdline.ArgumentParser;
import opennlp.tools.cmdline.BasicCmdLineTool;
import opennlp.tools.cmdline.CmdLineUtil;
import opennlp.tools.cmdline.TerminateToolException;
import opennlp.tools.util.InvalidFormatException;

import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the Lazy Attention command-line tools share. They follow OpenNLP's {@link BasicCmdLineTool}
 * conventions ({@code -name value} arguments parsed by {@link ArgumentParser} from an interface of
 * {@code @ParameterDescription} getters, {@link #getHelp()}, {@link #run(String[])} that reports bad input
 * with a {@link TerminateToolException}), but OpenNLP's own {@code opennlp} launcher has a closed tool list,
 * so each tool has its own {@code main}.
 *
 * <p>Exit status of {@code main}, as {@code lazyattn}'s: 0 on success (and for {@code help}); 2 for a usage
 * error (an unknown argument, named with the closest known one; a missing one; a value of the wrong type or
 * not among the choices); otherwise the {@link TerminateToolException}'s code as OpenNLP uses them: 1 for a
 * bad value (a window longer than the model's context, a bad training parameter), -1 (255) for a file that
 * cannot be read or written. The message goes to standard error.
 */
public abstract class LazyAttentionCmdLineTool extends BasicCmdLineTool {

    private static final Set<String> HELP = Set.of("help", "-help", "--help", "-h");

    /** Where the tool reads input lines. */
    protected final InputStream in;
    /** Where the tool writes its results. */
    protected final PrintStream out;

    protected LazyAttentionCmdLineTool(InputStream in, PrintStream out) {
        this.in = in;
        this.out = out;
    }

    /** Standard output, UTF-8, for a tool's {@code main}. */
    protected static PrintStream standardOutput() {
        return new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    }

    /**
     * Runs the tool as {@code main} does but returns the exit status instead of ending the JVM.
     *
     * @param err where messages about bad input go
     */
    public int execute(String[] args, PrintStream err) {
        String[] arguments = args == null ? new String[0] : args;
        if (arguments.length == 1 && HELP.contains(arguments[0])) {
            out.println(getHelp());
            return 0;
        }
        try {
            run(arguments);
            out.flush();
            return 0;
        } catch (TerminateToolException e) {
            if (e.getMessage() != null) {
                err.println(e.getMessage());
            }
            return e.getCode();
        } catch (RuntimeException e) {
            err.println(getName() + " failed: " + e);
            return 1;
        } finally {
            err.flush();
        }
    }

    /**
     * OpenNLP's parsing of the arguments, whose refusal (a missing argument, a value of the wrong type, an odd
     * argument count) is a usage error (exit status 2) with OpenNLP's message and the usage.
     */
    @Override
    protected <T> T validateAndParseParams(String[] args, Class<T> argProxyInterface) {
        try {
            return super.validateAndParseParams(args, argProxyInterface);
        } catch (TerminateToolException e) {
            throw usageError(e.getMessage(), e);
        }
    }

    /** OpenNLP's usage text with the command that starts this tool. */
    protected String usage(Class<?> params) {
        return "Usage: java -cp <classpath> " + getClass().getName() + " " + ArgumentParser.createUsage(params);
    }

    /**
     * Refuses an argument name that {@code params} does not declare, naming the closest one it does
     * (OpenNLP's parser would only say that the argument is unknown).
     */
    protected void refuseUnknownArguments(String[] args, Class<?> params) {
        List<String> known = new ArrayList<>();
        for (Method m : params.getMethods()) {
            if (m.isAnnotationPresent(ArgumentParser.ParameterDescription.class) && m.getName().startsWith("get")) {
                known.add("-" + Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4));
            }
        }
        for (int i = 0; i < args.length; i += 2) {
            if (args[i].startsWith("-") && !known.contains(args[i])) {
                throw usageError("Unknown argument " + args[i] + "; did you mean "
                        + ClosestName.closest(args[i], known) + "?\n" + getHelp(), null);
            }
        }
    }

    /** The {@code -name value} pairs of {@code args}. */
    protected static Map<String, String> arguments(String[] args) {
        Map<String, String> pairs = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            pairs.put(args[i], args[i + 1]);
        }
        return pairs;
    }

    /** The argument every tool takes for libtorch's intra-op threads. */
    protected static final String THREADS = "-threads";

    /**
     * Reads {@code -threads}: a whole number >= 1, or null when not given.
     *
     * @throws TerminateToolException (status 1) naming {@code -threads} for a bad value
     */
    protected static Integer threads(String text) {
        try {
            return text == null ? null : EngineThreads.parse(text, THREADS);
        } catch (IllegalArgumentException e) {
            throw argumentError(e.getMessage(), e);
        }
    }

    /** Fixes libtorch's intra-op threads for this JVM from {@code -threads} (default one per core) before a model loads. */
    protected static void applyThreads(String text) {
        EngineThreads.apply(threads(text), 1, THREADS);
    }

    /** Refuses, with OpenNLP's message naming the file, an input file that is missing or unreadable. */
    protected static void checkInput(String what, File file) {
        CmdLineUtil.checkInputFile(what, file);
    }

    /**
     * Loads a model file, refusing a missing, unreadable, corrupt or foreign one with a message that names
     * it (exit status -1).
     */
    protected static LazyAttentionModel loadModel(File file) {
        if (!file.isDirectory()) { // a model folder in Hugging Face's layout is checked by the model's reader
            checkInput("model", file);
        }
        try {
            return new LazyAttentionModel(file);
        } catch (IOException e) {
            throw fileError("cannot load the model: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            // OpenNLP's BaseModel reports its own validation this way, with the reason as the cause.
            Throwable reason = e.getCause() instanceof InvalidFormatException ? e.getCause() : e;
            throw fileError("cannot load the model " + file + ": " + reason.getMessage(), e);
        }
    }

    /** A file problem as OpenNLP reports it (exit status -1). */
    protected static TerminateToolException fileError(String message, Throwable cause) {
        return new TerminateToolException(-1, message, cause);
    }

    /** The exit status of a usage error, picocli's (and so {@code lazyattn}'s) convention. */
    public static final int USAGE_ERROR = 2;

    /** A command line that does not parse: an unknown, missing or mistyped argument (exit status 2). */
    protected static TerminateToolException usageError(String message, Throwable cause) {
        return new TerminateToolException(USAGE_ERROR, message, cause);
    }

    /** A bad value as OpenNLP reports it (exit status 1). */
    protected static TerminateToolException argumentError(String message, Throwable cause) {
        return new TerminateToolException(1, message, cause);
    }
}
