package dev.lazyattention.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads a {@link TrainConfig} from a front end's named values, through the one table of settings ({@link
 * TrainConfig#SETTINGS}): each front end names a setting as {@link FrontEnd#names} says, and every front end
 * reads every setting under its name with the same parsing, checks and defaults.
 */
public final class SettingBinder {

    /** A front end and its names for the settings. */
    public enum FrontEnd {
        /** The {@code lazyattn} commands: {@code --kebab-case} options and their aliases. */
        CLI,
        /** The CoreNLP trainer: {@code lazylm.train.<key>} properties. */
        CORENLP,
        /** OpenNLP training: {@code lazylm.<key>} parameters; the steps are OpenNLP's {@code Iterations}. */
        OPENNLP;

        /**
         * This front end's names for {@code s}, the first its own and the others accepted alike; empty when the
         * front end takes the value otherwise (OpenNLP's language is an argument of {@code train}).
         */
        public List<String> names(Setting<?> s) {
            return switch (this) {
                case CLI -> s == TrainConfig.PROGRESS ? List.of(s.cliOption(), NO_PROGRESS) : s.cliNames();
                case CORENLP -> List.of(CORENLP_PREFIX + s.key());
                case OPENNLP -> s == TrainConfig.LANGUAGE ? List.of()
                        : s == TrainConfig.STEPS ? List.of(ITERATIONS, OPENNLP_PREFIX + s.key())
                        : List.of(OPENNLP_PREFIX + s.key());
            };
        }

        /** This front end's own name for {@code s}, as messages use it (null where it has none). */
        public String name(Setting<?> s) {
            List<String> names = names(s);
            return names.isEmpty() ? null : names.get(0);
        }
    }

    /** The CLI's shorthand for {@code --progress=false}. */
    public static final String NO_PROGRESS = "--no-progress";
    /** Prefix of the CoreNLP trainer's properties. */
    public static final String CORENLP_PREFIX = "lazylm.train.";
    /** Prefix of OpenNLP's training parameters. */
    public static final String OPENNLP_PREFIX = "lazylm.";
    /** OpenNLP's iteration count: the number of steps. */
    public static final String ITERATIONS = "Iterations";

    private SettingBinder() {}

    /** Every name {@code frontEnd} reads. */
    public static List<String> names(FrontEnd frontEnd) {
        List<String> all = new ArrayList<>();
        for (Setting<?> s : TrainConfig.SETTINGS) {
            all.addAll(frontEnd.names(s));
        }
        return all;
    }

    /**
     * {@code base} with the values a front end was given.
     *
     * @param given the value given under a name ({@code true} for a bare switch, {@code false} for {@link
     *     #NO_PROGRESS}), or null where none was
     * @throws IllegalArgumentException naming the front end's name of the first bad value, or the names that
     *     give one setting two different values
     */
    public static TrainConfig bind(TrainConfig base, FrontEnd frontEnd, Function<String, Object> given) {
        TrainConfig.Builder b = base.toBuilder();
        for (Setting<?> s : TrainConfig.SETTINGS) {
            Map<String, String> found = new LinkedHashMap<>();
            for (String name : frontEnd.names(s)) {
                Object value = given.apply(name);
                if (value != null) {
                    found.put(name, value.toString().trim());
                }
            }
            if (found.values().stream().distinct().count() > 1) {
                throw new IllegalArgumentException(String.join(" and ", found.keySet()) + " say the same thing and "
                        + "differ (" + String.join(", ", found.values()) + "); give one of them");
            }
            if (!found.isEmpty()) {
                Map.Entry<String, String> first = found.entrySet().iterator().next();
                set(b, s, first.getValue(), first.getKey());
            }
        }
        return b.build(frontEnd::name);
    }

    private static <T> void set(TrainConfig.Builder b, Setting<T> s, String text, String source) {
        b.set(s, s.parse(text, source));
    }

    /**
     * Writes {@link #settingsPage()} to the file given (docs/settings.md of the project).
     *
     * @throws IOException if the file cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: SettingBinder <path of docs/settings.md>");
        }
        Files.writeString(Path.of(args[0]), settingsPage(), StandardCharsets.UTF_8);
    }

    /** The page docs/settings.md: what the front ends share, then {@link #markdownTable()}. */
    public static String settingsPage() {
        return "# Training settings\n\n"
                + "Every front end reads the same settings of the training recipe (`TrainConfig`), with the same\n"
                + "defaults: `--kebab-case` options of `lazyattn train` (and of `experiment`, which sets the attention\n"
                + "with `--variants`), `lazylm.train.<key>` properties of the CoreNLP trainer (the annotator's\n"
                + "`lazylm.<name>` properties stay its own: `lazylm.batchSize` is the scoring batch), and `lazylm.<key>`\n"
                + "parameters of OpenNLP training, where OpenNLP's own `Iterations` is the number of steps. Further\n"
                + "names in brackets are accepted alike. A misspelt or unknown name is refused with the closest known\n"
                + "one (`--lerning-rate`: \"Did you mean --learning-rate?\").\n\n"
                + "This page is generated from the table of settings (`TrainConfig.SETTINGS`) by\n"
                + "`SettingBinder.main`; a test fails when it differs.\n\n"
                + markdownTable();
    }

    /** The settings table of docs/settings.md: each setting, its names in every front end, default and meaning. */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder("| setting | TrainConfig | CLI | CoreNLP property | OpenNLP parameter "
                + "| default | meaning |\n|---|---|---|---|---|---|---|\n");
        for (Setting<?> s : TrainConfig.SETTINGS) {
            List<String> openNlp = FrontEnd.OPENNLP.names(s);
            sb.append("| ").append(s.key()).append(" | `").append(s.name()).append("` | ")
                    .append(codes(FrontEnd.CLI.names(s))).append(" | ").append(codes(FrontEnd.CORENLP.names(s)))
                    .append(" | ").append(openNlp.isEmpty() ? "`train`'s language argument" : codes(openNlp))
                    .append(" | ").append(s.defaultText()).append(" | ").append(s.meaning()).append(" |\n");
        }
        return sb.toString();
    }

    /** {@code `--lr`}, then further names in brackets. */
    private static String codes(List<String> names) {
        StringBuilder sb = new StringBuilder("`").append(names.get(0)).append('`');
        for (int i = 1; i < names.size(); i++) {
            sb.append(i == 1 ? " (also " : ", ").append('`').append(names.get(i)).append('`');
        }
        return names.size() > 1 ? sb.append(')').toString() : sb.toString();
    }
}
