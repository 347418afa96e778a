package dev.lazyattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lazyattention.eval.CollapseStats;
import dev.lazyattention.eval.ScoringOptions;
import dev.lazyattention.eval.ScoringRequest;
import dev.lazyattention.eval.SequenceScore;
import dev.lazyattention.eval.SequenceScorer;
import dev.lazyattention.lm.LazyLanguageModel;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code lazyattn serve}'s JSON endpoint, its static files and its limits, over real HTTP. */
class AttentionServerTest {

    static final String TEXT = "The farmer sees the river. The dog finds the bird in the garden.";

    static ServeFixture.Served served;

    @BeforeAll
    static void start() throws IOException {
        served = ServeFixture.serve(true, 2);
    }

    @AfterAll
    static void stop() {
        if (served != null) {
            served.close();
        }
    }

    static JsonObject analyze(String text, int layer, int head, boolean allHeads) {
        ServeFixture.Answer a = ServeFixture.post(served.url("/api/analyze"),
                com.google.gson.JsonParser.parseString(Json.of(Map.of("text", text, "layer", layer, "head", head,
                        "allHeads", allHeads))).toString());
        assertEquals(200, a.status(), a.body());
        return JsonParser.parseString(a.body()).getAsJsonObject();
    }

    @Test
    void infoNamesBothModelsWithTheirTauAndTheLimits() {
        ServeFixture.Answer a = ServeFixture.get(served.url("/api/info"));
        assertEquals(200, a.status());
        JsonObject info = JsonParser.parseString(a.body()).getAsJsonObject();
        JsonArray models = info.getAsJsonArray("models");
        assertEquals(2, models.size());
        JsonObject lazy = models.get(0).getAsJsonObject();
        assertEquals("LAZY", lazy.get("variant").getAsString());
        LazyLanguageModel lm = served.models().get(0);
        float[] tau0 = lm.block().layers().get(0).attention().tau().getArray().toType(DataType.FLOAT32, false)
                .toFloatArray();
        JsonArray tau = lazy.getAsJsonArray("tau").get(0).getAsJsonArray();
        assertEquals(tau0.length, tau.size());
        for (int h = 0; h < tau0.length; h++) {
            assertEquals(tau0[h], tau.get(h).getAsFloat(), 0f);
        }
        assertTrue(models.get(1).getAsJsonObject().getAsJsonArray("tau").get(0).isJsonNull(), "softmax has no tau");
        JsonObject limits = info.getAsJsonObject("limits");
        assertEquals(AttentionServer.MAX_CHARS, limits.get("maxChars").getAsInt());
        assertEquals(lm.config().contextLength() - 1, limits.get("maxTokens").getAsInt());
    }

    @Test
    void analysisMatchesTheScoringPathAndItsOwnWeights() {
        JsonObject r = analyze(TEXT, 1, 2, true);
        JsonArray models = r.getAsJsonArray("models");
        assertEquals(2, models.size());
        for (int m = 0; m < 2; m++) {
            JsonObject a = models.get(m).getAsJsonObject();
            LazyLanguageModel lm = served.models().get(m);
            JsonArray tokens = a.getAsJsonArray("tokens");
            int[] ids = lm.tokenizer().encode(TEXT);
            assertTrue(ids.length > 10 && ids.length < lm.config().contextLength(), ids.length + " tokens");
            assertEquals(ids.length + 1, tokens.size());
            assertTrue(tokens.get(0).getAsJsonObject().get("special").getAsBoolean());
            // Offsets cover the text in order; log-probabilities equal the scoring path's.
            SequenceScore score = new SequenceScorer(lm, ScoringOptions.defaults(lm.config().contextLength()))
                    .score(new ScoringRequest(lm.tokenizer().afterEndOfText(ids), 1));
            StringBuilder rebuilt = new StringBuilder();
            for (int i = 1; i < tokens.size(); i++) {
                JsonObject t = tokens.get(i).getAsJsonObject();
                assertEquals(ids[i - 1], t.get("id").getAsInt());
                rebuilt.append(TEXT, t.get("start").getAsInt(), t.get("end").getAsInt());
                double lp = t.get("logProb").getAsDouble();
                assertEquals(score.logProbabilities()[i - 1], lp, 1e-4, "token " + i);
                assertEquals(-lp / Math.log(2), t.get("bits").getAsDouble(), 1e-9);
                JsonArray top = t.getAsJsonArray("top");
                assertEquals(AttentionAnalyzer.TOP_K, top.size());
                assertTrue(top.get(0).getAsJsonObject().get("logProb").getAsDouble() >= lp - 1e-5,
                        "the most likely token is at least as likely as the one that came");
            }
            assertEquals(TEXT, rebuilt.toString());
            // Collapse per layer: the text as one window, as eval measures it.
            CollapseStats collapse = new SequenceScorer(lm, ScoringOptions.defaults(lm.config().contextLength())
                    .withCollapse(true)).score(new ScoringRequest(lm.tokenizer().afterEndOfText(ids), 1)).collapse();
            JsonObject c = a.getAsJsonObject("collapse");
            JsonArray cosine = c.getAsJsonArray("meanCosine");
            JsonArray rank = c.getAsJsonArray("effectiveRank");
            assertEquals(lm.config().numLayers(), cosine.size());
            assertEquals(lm.config().numLayers(), rank.size());
            for (int l = 0; l < cosine.size(); l++) {
                assertEquals(collapse.meanCosinePerLayer()[l], cosine.get(l).getAsDouble(), 1e-9, "layer " + l);
                assertEquals(collapse.effectiveRankPerLayer()[l], rank.get(l).getAsDouble(), 1e-9, "layer " + l);
                assertTrue(rank.get(l).getAsDouble() >= 1 && rank.get(l).getAsDouble() <= ids.length, "layer " + l);
            }
            assertEquals(collapse.effectiveRankFinal(), c.get("effectiveRankFinal").getAsDouble(), 1e-9);
            assertEquals(AttentionAnalyzer.TOP_K, a.getAsJsonArray("nextTokens").size());

            // The chosen head's weights: causal rows, equal to that head in layerWeights, and its summary.
            assertEquals(1, a.get("layer").getAsInt());
            assertEquals(2, a.get("head").getAsInt());
            JsonArray w = a.getAsJsonArray("weights");
            assertEquals(tokens.size(), w.size());
            assertEquals(w, a.getAsJsonArray("layerWeights").get(2));
            assertEquals(lm.config().numHeads(), a.getAsJsonArray("layerWeights").size());
            int n = w.size();
            long zeros = 0;
            double sink = 0;
            for (int i = 0; i < n; i++) {
                JsonArray row = w.get(i).getAsJsonArray();
                assertEquals(i + 1, row.size());
                double sum = 0;
                for (JsonElement e : row) {
                    double v = e.getAsDouble();
                    assertTrue(v >= 0);
                    sum += v;
                    zeros += v == 0 ? 1 : 0;
                }
                assertTrue(sum <= 1 + 1e-5, "row " + i + " sums to " + sum);
                if (m == 1) {
                    assertEquals(1, sum, 1e-4, "softmax rows sum to 1");
                }
                sink += i >= 1 ? row.get(0).getAsDouble() : 0;
            }
            JsonObject s = a.getAsJsonArray("summary").get(1).getAsJsonArray().get(2).getAsJsonObject();
            assertEquals(zeros / (n * (n + 1) / 2.0), s.get("sparsity").getAsDouble(), 1e-12);
            assertEquals(sink / (n - 1), s.get("sinkMass").getAsDouble(), 1e-5);
            if (m == 0) {
                assertEquals(lm.block().layers().get(1).attention().tau().getArray().toFloatArray()[2],
                        s.get("tau").getAsFloat(), 0f);
            } else {
                assertTrue(s.get("tau").isJsonNull());
                assertEquals(0, s.get("sparsity").getAsDouble(), 0.0, "softmax weights are never exactly 0");
            }
        }
        // The trained lazy model has exact zeros somewhere (that is what the hatched cells show).
        double sparsity = 0;
        for (JsonElement layer : models.get(0).getAsJsonObject().getAsJsonArray("summary")) {
            for (JsonElement head : layer.getAsJsonArray()) {
                sparsity = Math.max(sparsity, head.getAsJsonObject().get("sparsity").getAsDouble());
            }
        }
        assertTrue(sparsity > 0, "no exact zeros in any head of the lazy model");
    }

    @Test
    void withoutAllHeadsOnlyTheChosenHeadIsSent() {
        JsonObject a = analyze("Hello", 0, 0, false).getAsJsonArray("models").get(0).getAsJsonObject();
        assertFalse(a.has("layerWeights"));
        assertEquals(served.models().get(0).tokenizer().encode("Hello").length + 1, a.getAsJsonArray("weights").size());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "not json",
        "[1, 2]",
        "{}",
        "{\"text\": 5}",
        "{\"text\": \"\"}",
        "{\"text\": \"hi\", \"layer\": 99}",
        "{\"text\": \"hi\", \"layer\": -1}",
        "{\"text\": \"hi\", \"head\": 1.5}",
        "{\"text\": \"hi\", \"head\": \"two\"}",
        "{\"text\": \"hi\", \"allHeads\": \"yes\"}",
        "{\"text\": \"hi\"",
    })
    void badRequestsAnswer400WithAMessageAndTheServerKeepsServing(String body) {
        ServeFixture.Answer a = ServeFixture.post(served.url("/api/analyze"), body);
        assertEquals(400, a.status(), a.body());
        JsonObject error = JsonParser.parseString(a.body()).getAsJsonObject();
        assertFalse(error.get("error").getAsString().isBlank());
        analyze("Still here.", 0, 0, false);
    }

    static String error(ServeFixture.Answer a) {
        assertEquals(400, a.status(), a.body());
        return JsonParser.parseString(a.body()).getAsJsonObject().get("error").getAsString();
    }

    @Test
    void aMisspeltKeyIsRefusedWithTheClosestKnownOne() {
        String layr = error(ServeFixture.post(served.url("/api/analyze"), "{\"text\": \"The dog.\", \"layr\": 1}"));
        assertEquals("unknown key \"layr\"; did you mean \"layer\"? (the keys are text, layer, head, allHeads)", layr);
        String heads = error(ServeFixture.post(served.url("/api/analyze"), "{\"text\": \"The dog.\", \"allheads\": true}"));
        assertTrue(heads.startsWith("unknown key \"allheads\"; did you mean \"allHeads\"?"), heads);
    }

    @Test
    void aBodyThatIsNotJsonGetsOurMessageNotGsonsAdvice() {
        String broken = error(ServeFixture.post(served.url("/api/analyze"), "{\"text\": \"hi\" \"layer\": 1}"));
        assertEquals("the body is not JSON (line 1 column 16): send a JSON object such as"
                + " {\"text\": \"...\", \"layer\": 0, \"head\": 0}", broken);
        String prose = error(ServeFixture.post(served.url("/api/analyze"), "the ship sailed"));
        assertTrue(prose.startsWith("the body is not JSON"), prose);
        assertFalse(prose.contains("github") || prose.contains("Strictness"), prose);
    }

    /** The CLI's own strict decoder (TextCorpus.readText) gives the expected message, offset and bytes included. */
    @Test
    void textThatIsNotUtf8IsRefusedWithItsByteOffsetAsTheCliRefusesAFile() {
        byte[] body = "{\"text\": \"caf\u00e9 au lait\"}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        String message = error(ServeFixture.post(served.url("/api/analyze"), body));
        assertEquals("the request body: not valid UTF-8 text: byte 0xE9 at byte offset 13 (line 1) is not UTF-8;"
                + " send the body as UTF-8", message);
        analyze("caf\u00e9 au lait", 0, 0, false);
    }

    @Test
    void textsPastTheLimitsAreRefusedWithTheLimitNamed() {
        ServeFixture.Answer tooLong = ServeFixture.post(served.url("/api/analyze"),
                Json.of(Map.of("text", "a".repeat(AttentionServer.MAX_CHARS + 1))));
        assertEquals(400, tooLong.status());
        assertTrue(tooLong.body().contains("at most " + AttentionServer.MAX_CHARS), tooLong.body());

        int maxTokens = served.models().get(0).config().contextLength() - 1;
        ServeFixture.Answer tooManyTokens = ServeFixture.post(served.url("/api/analyze"),
                Json.of(Map.of("text", "one two three four five six seven eight nine ten ".repeat(5))));
        assertEquals(400, tooManyTokens.status());
        assertTrue(tooManyTokens.body().contains("at most " + maxTokens), tooManyTokens.body());

        ServeFixture.Answer huge = ServeFixture.post(served.url("/api/analyze"), "{\"text\": \"" + "x".repeat(70_000) + "\"}");
        assertEquals(413, huge.status());
        analyze("Still here.", 0, 0, false);
    }

    @Test
    void pastTheConcurrencyLimitTheAnswerIs503() throws Exception {
        try (ServeFixture.Served one = ServeFixture.serve(false, 1)) {
            one.server().permitsForTests().acquire(); // one analysis running
            try {
                ServeFixture.Answer busy = ServeFixture.post(one.url("/api/analyze"), "{\"text\": \"hi\"}");
                assertEquals(503, busy.status());
                assertTrue(JsonParser.parseString(busy.body()).getAsJsonObject().get("error").getAsString()
                        .startsWith("busy"), busy.body());
                assertEquals(200, ServeFixture.get(one.url("/")).status(), "the page is still served");
            } finally {
                one.server().permitsForTests().release();
            }
            assertEquals(200, ServeFixture.post(one.url("/api/analyze"), "{\"text\": \"hi\"}").status());
        }
    }

    @Test
    void thePageAndItsFilesComeFromTheJar() {
        for (String path : AttentionServer.STATIC_FILES.keySet()) {
            ServeFixture.Answer a = ServeFixture.get(served.url(path));
            assertEquals(200, a.status(), path);
            assertFalse(a.body().isEmpty(), path);
        }
        String page = ServeFixture.get(served.url("/")).body();
        assertTrue(page.contains("serve.js") && page.contains("serve.css"));
        assertFalse(page.contains("http://") || page.contains("https://"), "nothing is fetched from elsewhere");
        String script = ServeFixture.get(served.url("/serve.js")).body().replace("'http://www.w3.org/2000/svg'", "");
        assertFalse(script.matches("(?s).*https?://.*"), "the script names no other address than SVG's namespace");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/../pom.xml",
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E%2Fpom.xml",
        "/..%2fserve.js",
        "//etc/passwd",
        "/etc/passwd",
        "/serve/../index.html",
        "/./serve.js",
        "/dev/lazyattention/cli/serve/index.html",
        "/dev/lazyattention/cli/AttentionServer.class",
        "/serve.js/",
        "/index.html%00.js",
        "/favicon.ico",
        "/api/../index.html",
        "/api/files",
        "file:///etc/passwd",
        "http://127.0.0.1/../pom.xml",
    })
    void nothingOutsideTheFixedListIsServed(String target) throws IOException {
        ServeFixture.Answer a = ServeFixture.raw(served.server().port(), "GET", target);
        assertTrue(a.status() == 404 || a.status() == 400, target + " answered " + a.status() + ": " + a.body());
        assertFalse(a.body().contains("root:") || a.body().contains("<project"), target);
        assertEquals(200, ServeFixture.get(served.url("/serve.js")).status());
    }

    @Test
    void wrongMethodsAre405() throws IOException {
        assertEquals(405, ServeFixture.raw(served.server().port(), "GET", "/api/analyze").status());
        assertEquals(405, ServeFixture.raw(served.server().port(), "DELETE", "/index.html").status());
        assertEquals(405, ServeFixture.post(served.url("/api/info"), "{}").status());
    }

    @Test
    void theCommandRefusesAMissingModelAndABadPort() {
        CommandRun missing = CliTest.run("serve", "--model", "no-such.lazylm.zip", "--port", "0");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("no-such.lazylm.zip"), missing.err());
        CommandRun port = CliTest.run("serve", "--model", "x.lazylm.zip", "--port", "70000");
        assertEquals(1, port.code());
        assertTrue(port.err().contains("--port"), port.err());
    }

    @Test
    void theHelpNamesEveryOptionAndThatThePageIsLocalByDefault() {
        CommandRun help = CliTest.run("serve", "--help");
        assertEquals(0, help.code(), help.err());
        for (String option : new String[] {"--model=FILE", "--compare=FILE", "--port=N", "--host=ADDRESS",
                "--max-concurrent=N", "--device=", "--threads="}) {
            assertTrue(help.out().contains(option), option + " in:\n" + help.out());
        }
        assertTrue(help.out().contains("default: 8080") && help.out().contains("default: 127.0.0.1"), help.out());
    }
}
