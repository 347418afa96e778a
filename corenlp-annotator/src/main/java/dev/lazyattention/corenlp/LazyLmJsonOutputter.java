package dev.lazyattention.corenlp;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.lazyattention.eval.TokenPrediction;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.ling.CoreLabel;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.AnnotationOutputter;
import edu.stanford.nlp.pipeline.JSONOutputter;
import edu.stanford.nlp.util.CoreMap;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.util.List;

/**
 * CoreNLP's standard JSON with the {@code lazylm} values added as a {@code "lazylm"} object on the
 * document, on every sentence and on every token (CoreNLP's own JSON outputter prints only the keys it
 * knows). Select it with {@code outputFormat=custom} and
 * {@code customOutputter=dev.lazyattention.corenlp.LazyLmJsonOutputter}, on the command line and in
 * server requests alike. NaN (an empty document has no perplexity) is written as {@code null}.
 */
public class LazyLmJsonOutputter extends AnnotationOutputter {

    /** {@inheritDoc} */
    @Override
    public void print(Annotation doc, OutputStream target, Options options) throws IOException {
        ByteArrayOutputStream standard = new ByteArrayOutputStream();
        new JSONOutputter().print(doc, standard, options);
        Charset charset = Charset.forName(options.encoding);
        JsonObject root = JsonParser.parseString(standard.toString(charset)).getAsJsonObject();
        root.add("lazylm", document(doc));
        List<CoreMap> sentences = doc.get(CoreAnnotations.SentencesAnnotation.class);
        JsonArray jsonSentences = root.getAsJsonArray("sentences");
        if (sentences != null && jsonSentences != null) {
            for (int s = 0; s < sentences.size() && s < jsonSentences.size(); s++) {
                CoreMap sentence = sentences.get(s);
                JsonObject js = jsonSentences.get(s).getAsJsonObject();
                js.add("lazylm", sentence(sentence));
                JsonArray jsonTokens = js.getAsJsonArray("tokens");
                List<CoreLabel> tokens = sentence.get(CoreAnnotations.TokensAnnotation.class);
                for (int k = 0; jsonTokens != null && k < tokens.size() && k < jsonTokens.size(); k++) {
                    jsonTokens.get(k).getAsJsonObject().add("lazylm", token(tokens.get(k)));
                }
            }
        }
        GsonBuilder builder = new GsonBuilder().disableHtmlEscaping();
        if (options.pretty) {
            builder.setPrettyPrinting();
        }
        Gson gson = builder.create();
        target.write(gson.toJson(root).getBytes(charset));
        target.flush();
    }

    private static JsonObject token(CoreLabel token) {
        JsonObject o = new JsonObject();
        o.add("logProb", number(token.get(LazyLmAnnotations.TokenLogProbability.class)));
        o.add("surprisalBits", number(token.get(LazyLmAnnotations.TokenSurprisal.class)));
        return o;
    }

    private static JsonObject sentence(CoreMap s) {
        JsonObject o = new JsonObject();
        o.add("logProb", number(s.get(LazyLmAnnotations.SentenceLogProbability.class)));
        o.add("perplexity", number(s.get(LazyLmAnnotations.SentencePerplexity.class)));
        o.add("bitsPerByte", number(s.get(LazyLmAnnotations.SentenceBitsPerByte.class)));
        o.add("pieces", number(s.get(LazyLmAnnotations.SentencePieceCount.class)));
        if (s.containsKey(LazyLmAnnotations.SentenceSparsity.class)) {
            o.add("sparsity", number(s.get(LazyLmAnnotations.SentenceSparsity.class)));
            o.add("sinkMass", number(s.get(LazyLmAnnotations.SentenceSinkMass.class)));
        }
        List<TokenPrediction> next = s.get(LazyLmAnnotations.SentenceNextTokens.class);
        if (next != null) {
            JsonArray array = new JsonArray();
            for (TokenPrediction p : next) {
                JsonObject jp = new JsonObject();
                jp.addProperty("token", p.text());
                jp.addProperty("id", p.id());
                jp.add("probability", number(p.probability()));
                array.add(jp);
            }
            o.add("nextTokens", array);
        }
        return o;
    }

    private static JsonObject document(Annotation doc) {
        JsonObject o = new JsonObject();
        o.add("logProb", number(doc.get(LazyLmAnnotations.DocumentLogProbability.class)));
        o.add("perplexity", number(doc.get(LazyLmAnnotations.DocumentPerplexity.class)));
        o.add("bitsPerByte", number(doc.get(LazyLmAnnotations.DocumentBitsPerByte.class)));
        o.add("pieces", number(doc.get(LazyLmAnnotations.DocumentPieceCount.class)));
        if (doc.containsKey(LazyLmAnnotations.DocumentSparsity.class)) {
            o.add("sparsity", number(doc.get(LazyLmAnnotations.DocumentSparsity.class)));
            o.add("sinkMass", number(doc.get(LazyLmAnnotations.DocumentSinkMass.class)));
        }
        return o;
    }

    private static JsonElement number(Number n) {
        if (n == null || (n instanceof Double && !Double.isFinite((Double) n))) {
            return JsonNull.INSTANCE;
        }
        return new JsonPrimitive(n);
    }
}
