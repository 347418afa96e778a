package dev.lazyattention.eval;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.tokenizer.BpeTokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Multiple-choice scoring the lm-evaluation-harness way: for each item, the log-likelihood of each
 * continuation given the context; {@code acc} picks the largest sum, {@code acc_norm} the largest sum
 * divided by the continuation's length in UTF-8 bytes. The continuation is {@code " " + choice} and the
 * context is preceded by {@code <|endoftext|>}.
 *
 * <p>Items are JSON lines, either PIQA-style {@code {"goal", "sol1", "sol2"[, "label"]}} or generic
 * {@code {"context", "choices": [...][, "label"]}}; labels may instead come from a file with one integer
 * per line (PIQA's {@code valid-labels.lst}).
 */
public final class MultipleChoice {

    /** One item: a context, its choices, the index of the right one (-1 if unknown). */
    public record Item(String context, List<String> choices, int label) {}

    /** Accuracy over the items with a label. */
    public record Result(int items, double acc, double accNorm) {}

    private MultipleChoice() {}

    /** Reads items (and optionally labels); errors name the file and line. */
    public static List<Item> read(Path items, Path labels) throws IOException {
        List<Item> out = new ArrayList<>();
        try (BufferedReader reader = reader(items)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                out.add(parse(line, items + ":" + number));
            }
        }
        if (out.isEmpty()) {
            throw new IOException(items + ": no items");
        }
        if (labels != null) {
            List<String> lines = new ArrayList<>();
            try (BufferedReader reader = reader(labels)) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (!line.isBlank()) {
                        lines.add(line.strip());
                    }
                }
            }
            if (lines.size() != out.size()) {
                throw new IOException(labels + ": " + lines.size() + " labels for " + out.size() + " items in " + items);
            }
            for (int i = 0; i < out.size(); i++) {
                int label;
                try {
                    label = Integer.parseInt(lines.get(i));
                } catch (NumberFormatException e) {
                    throw new IOException(labels + ":" + (i + 1) + ": label '" + lines.get(i) + "' is not an integer", e);
                }
                Item it = out.get(i);
                if (label < 0 || label >= it.choices().size()) {
                    throw new IOException(labels + ":" + (i + 1) + ": label " + label + " but the item has "
                            + it.choices().size() + " choices");
                }
                out.set(i, new Item(it.context(), it.choices(), label));
            }
        }
        return out;
    }

    private static BufferedReader reader(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": file not found");
        }
        InputStream in = Files.newInputStream(file);
        if (file.getFileName().toString().endsWith(".gz")) {
            in = new GZIPInputStream(in);
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    static Item parse(String line, String where) throws IOException {
        JsonObject o;
        try {
            o = JsonParser.parseString(line).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException(where + ": not a JSON object", e);
        }
        try {
            int label = o.has("label") ? o.get("label").getAsInt() : -1;
            if (o.has("goal")) {
                return new Item(o.get("goal").getAsString(),
                        List.of(o.get("sol1").getAsString(), o.get("sol2").getAsString()), label);
            }
            JsonArray choices = o.getAsJsonArray("choices");
            List<String> list = new ArrayList<>();
            for (JsonElement e : choices) {
                list.add(e.getAsString());
            }
            if (list.size() < 2) {
                throw new IOException(where + ": fewer than two choices");
            }
            return new Item(o.get("context").getAsString(), list, label);
        } catch (RuntimeException e) {
            throw new IOException(where + ": expected {\"goal\",\"sol1\",\"sol2\"} or {\"context\",\"choices\"}", e);
        }
    }

    /**
     * Per item, the log-likelihood (natural log) of each choice's continuation {@code " " + choice} given
     * {@code <|endoftext|>} and the context, scored by {@link SequenceScorer}.
     */
    public static List<double[]> choiceLogLikelihoods(LazyLanguageModel lm, List<Item> items, ScoringOptions options) {
        BpeTokenizer tokenizer = lm.tokenizer();
        List<ScoringRequest> requests = new ArrayList<>();
        for (Item item : items) {
            int[] context = tokenizer.encode(item.context());
            for (String choice : item.choices()) {
                int[] continuation = tokenizer.encode(continuation(choice));
                int[] text = Arrays.copyOf(context, context.length + continuation.length);
                System.arraycopy(continuation, 0, text, context.length, continuation.length);
                int[] tokens = tokenizer.afterEndOfText(text);
                requests.add(new ScoringRequest(tokens, tokens.length - continuation.length));
            }
        }
        List<SequenceScore> scores = new SequenceScorer(lm, options).score(requests);
        List<double[]> out = new ArrayList<>(items.size());
        int at = 0;
        for (Item item : items) {
            double[] perChoice = new double[item.choices().size()];
            for (int c = 0; c < perChoice.length; c++) {
                perChoice[c] = scores.get(at++).logProbability();
            }
            out.add(perChoice);
        }
        return out;
    }

    private static String continuation(String choice) {
        return " " + choice;
    }

    /** Scores every item and returns acc and acc_norm over the labelled ones. */
    public static Result evaluate(LazyLanguageModel lm, List<Item> items, ScoringOptions options) {
        List<double[]> likelihoods = choiceLogLikelihoods(lm, items, options);
        int labelled = 0;
        int right = 0;
        int rightNorm = 0;
        for (int i = 0; i < items.size(); i++) {
            Item item = items.get(i);
            double[] ll = likelihoods.get(i);
            int best = -1;
            int bestNorm = -1;
            double bestValue = Double.NEGATIVE_INFINITY;
            double bestNormValue = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < ll.length; c++) {
                double norm = ll[c] / continuation(item.choices().get(c)).getBytes(StandardCharsets.UTF_8).length;
                if (ll[c] > bestValue) {
                    bestValue = ll[c];
                    best = c;
                }
                if (norm > bestNormValue) {
                    bestNormValue = norm;
                    bestNorm = c;
                }
            }
            if (item.label() >= 0) {
                labelled++;
                right += best == item.label() ? 1 : 0;
                rightNorm += bestNorm == item.label() ? 1 : 0;
            }
        }
        return new Result(labelled, labelled == 0 ? Double.NaN : (double) right / labelled,
                labelled == 0 ? Double.NaN : (double) rightNorm / labelled);
    }
}
