package dev.lazyattention.examples.opennlp;

import dev.lazyattention.engine.DjlSetup;
import dev.lazyattention.opennlp.LazyAttentionLanguageModel;
import dev.lazyattention.opennlp.LazyAttentionModel;
import opennlp.tools.languagemodel.LanguageModel;
import opennlp.tools.tokenize.WhitespaceTokenizer;
import opennlp.tools.util.ObjectStream;
import opennlp.tools.util.ObjectStreamUtils;
import opennlp.tools.util.TrainingParameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Lazy Attention model the OpenNLP way: trained from an {@link ObjectStream} of documents with {@link
 * TrainingParameters} (unless the model file is there from an earlier run), loaded as an OpenNLP model, and
 * used through OpenNLP's {@link LanguageModel} interface to score sentences and predict next tokens.
 */
public final class OpenNlpLanguageModelExample {

    static final String[] SENTENCES = {
        "The boats come back to the harbour in the evening.",
        "Evening the in harbour the to back come boats the.",
        "After school the children walk down to the beach.",
    };

    static final String[] PROMPTS = {"The boats", "In the evening", "The children"};

    private OpenNlpLanguageModelExample() {}

    public static void main(String[] args) throws IOException {
        // Before anything loads the engine: no usage report, no download (libtorch comes from the native jar).
        // Values given with -D or as environment variables (OPT_OUT_TRACKING, DJL_OFFLINE) win.
        DjlSetup.offline();
        // The example's tensors are tiny: one libtorch thread is faster than one per core, above all on a busy
        // machine. -Dai.djl.pytorch.num_threads=N overrides it; drop this line for models of useful size.
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        Path modelFile = Path.of(args.length > 0 ? args[0] : "target").resolve("opennlp-example.lazylm.zip");
        if (!Files.exists(modelFile)) {
            ObjectStream<String> documents = ObjectStreamUtils.createObjectStream(paragraphs("/corpus.txt"));
            TrainingParameters params = new TrainingParameters();
            params.put(TrainingParameters.ITERATIONS_PARAM, 150);     // optimizer steps
            params.put("lazylm.preset", "tiny");                      // "small" and 1000 steps for a useful model
            params.put("lazylm.batchSize", 8);
            params.put("lazylm.gradAccum", 1);
            params.put("lazylm.progress", false);
            try (LazyAttentionModel trained = LazyAttentionModel.train("en", documents, params)) {
                trained.save(modelFile);
            }
            System.out.println("trained " + modelFile);
        }

        try (LazyAttentionModel model = new LazyAttentionModel(modelFile)) {   // also File, InputStream, URL
            LazyAttentionLanguageModel lm = new LazyAttentionLanguageModel(model);    // or (model, detokenizer)
            LanguageModel openNlp = lm;                                        // OpenNLP's interface
            for (String sentence : SENTENCES) {
                String[] tokens = WhitespaceTokenizer.INSTANCE.tokenize(sentence);
                double logP = lm.logProbability(tokens);                       // natural log of P(text)
                double p = openNlp.calculateProbability(tokens);               // exp(logP): 0 below e^-745
                System.out.printf(Locale.ROOT, "ln P %8.3f  (%.3f per token, P = %.3g)  %s%n",
                        logP, logP / tokens.length, p, sentence);
            }

            for (String prompt : PROMPTS) {
                List<String> tokens = new ArrayList<>(List.of(WhitespaceTokenizer.INSTANCE.tokenize(prompt)));
                System.out.print(prompt + " ->");
                for (int i = 0; i < 8; i++) {              // one whole token at a time, greedily
                    String[] next = openNlp.predictNextTokens(tokens.toArray(new String[0]));
                    if (next.length == 0) {                // the model expects the document to end here
                        System.out.print(" (end)");
                        break;
                    }
                    System.out.print(" " + next[0]);
                    tokens.add(next[0]);
                }
                System.out.println();
            }
        }
    }

    /** The paragraphs of a text resource (separated by blank lines), one OpenNLP document each. */
    static List<String> paragraphs(String resource) throws IOException {
        try (InputStream in = OpenNlpLanguageModelExample.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource not found: " + resource);
            }
            List<String> out = new ArrayList<>();
            for (String p : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\R\\s*\\R")) {
                if (!p.isBlank()) {
                    out.add(p.strip());
                }
            }
            return out;
        }
    }
}
