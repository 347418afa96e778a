package dev.lazyattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page of {@code lazyattn serve} in a real browser: headless Chromium driven by Selenium. Where Chromium or
 * its driver is missing it is skipped with a notice that says how to install them, unless the environment sets
 * {@code LAZYATTENTION_REQUIRE_BROWSER=true}: then it fails. {@code .ci/run} installs both and sets that flag.
 * The screenshot goes to {@code target/serve-page.png}.
 */
class ServePageBrowserTest {

    static final String TEXT = "The farmer sees the river. The dog finds the bird in the garden.";

    static ServeFixture.Served served;
    static ChromeDriver browser;

    /** The first of {@code names} found as an executable file on the PATH or as given, else null. */
    static Path executable(String... names) {
        for (String name : names) {
            if (name.contains("/")) {
                if (Files.isExecutable(Path.of(name))) {
                    return Path.of(name);
                }
                continue;
            }
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    @BeforeAll
    static void start() throws IOException {
        Path chromium = executable(System.getProperty("lazyattention.chromium", "chromium"), "chromium-browser",
                "google-chrome");
        Path driver = executable(System.getProperty("lazyattention.chromedriver", "chromedriver"),
                "/usr/lib/chromium/chromedriver");
        if (chromium == null || driver == null) {
            String notice = "The browser test of `lazyattn serve` needs headless Chromium and its driver, and "
                    + (chromium == null ? "chromium" : "chromedriver") + " is not on the PATH. Install them: on Debian"
                    + " or Ubuntu `apt-get install -y chromium chromium-driver` (.ci/run does it), elsewhere Chrome"
                    + " and a matching chromedriver; or name them with -Dlazyattention.chromium=PATH"
                    + " -Dlazyattention.chromedriver=PATH.";
            if (Boolean.parseBoolean(System.getenv("LAZYATTENTION_REQUIRE_BROWSER"))) {
                fail(notice + " (LAZYATTENTION_REQUIRE_BROWSER=true makes a missing browser a failure.)");
            }
            System.err.println("SKIPPED: " + notice);
            Assumptions.abort(notice);
        }
        served = ServeFixture.serve(true, 2);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1500,1300", "--no-first-run", "--disable-extensions");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().window().setSize(new Dimension(1500, 1300));
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (served != null) {
            served.close();
        }
    }

    @Test
    void colouredTokensAndAHeadsMapThatMatchesTheEndpoint() throws IOException {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        browser.get(served.url("/"));
        // The page analyses its sample text on load (too long for the tiny model's context: an error); then the
        // user's sentence.
        wait.until(d -> {
            String status = d.findElement(By.id("status")).getText();
            return !status.isEmpty() && !status.startsWith("Analysing");
        });
        WebElement text = browser.findElement(By.id("text"));
        text.clear();
        text.sendKeys(TEXT);
        ((JavascriptExecutor) browser).executeScript("document.getElementById('status').textContent = ''");
        // Choosing a layer analyses the text again.
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("layer"))).selectByValue("1");
        wait.until(ExpectedConditions.textMatches(By.id("status"), java.util.regex.Pattern.compile("analysed")));

        JsonObject expected = JsonParser.parseString(ServeFixture.post(served.url("/api/analyze"),
                Json.of(Map.of("text", TEXT, "layer", 1, "head", 3, "allHeads", false))).body()).getAsJsonObject();
        List<WebElement> columns = browser.findElements(By.cssSelector("#columns .model"));
        assertEquals(2, columns.size(), "the model and the compared one side by side");

        for (int m = 0; m < 2; m++) {
            JsonObject model = expected.getAsJsonArray("models").get(m).getAsJsonObject();
            WebElement column = columns.get(m);
            // Every token of the text is coloured by its surprisal, and says so in its data.
            List<WebElement> tokens = column.findElements(By.cssSelector(".tokens .tok:not(.special)"));
            JsonArray expectedTokens = model.getAsJsonArray("tokens");
            assertEquals(expectedTokens.size() - 1, tokens.size());
            StringBuilder shown = new StringBuilder();
            for (int i = 0; i < tokens.size(); i++) {
                WebElement t = tokens.get(i);
                String colour = t.getCssValue("background-color");
                assertFalse(colour.equals("rgba(0, 0, 0, 0)") || colour.equals("transparent") || colour.isEmpty(),
                        "token " + i + " is not coloured: " + colour);
                assertEquals(expectedTokens.get(i + 1).getAsJsonObject().get("bits").getAsDouble(),
                        Double.parseDouble(t.getAttribute("data-bits")), 1e-9);
                shown.append(t.getText());
            }
            assertEquals(TEXT.replace(" ", ""), shown.toString().replace(" ", ""));
        }

        // Hovering a token shows its log-probability and the model's top tokens.
        WebElement third = columns.get(0).findElements(By.cssSelector(".tokens .tok:not(.special)")).get(2);
        new Actions(browser).moveToElement(third).perform();
        WebElement tip = browser.findElement(By.id("tip"));
        wait.until(ExpectedConditions.visibilityOf(tip));
        assertTrue(tip.getText().contains("log-probability"), tip.getText());
        assertTrue(tip.getText().contains("expected here"), tip.getText());

        // Small multiples of every head of layer 1; clicking head 3 opens it in both columns.
        List<WebElement> thumbs = columns.get(0).findElements(By.cssSelector(".heads .headthumb"));
        assertEquals(served.models().get(0).config().numHeads(), thumbs.size());
        thumbs.get(3).click();
        for (int m = 0; m < 2; m++) {
            JsonObject model = expected.getAsJsonArray("models").get(m).getAsJsonObject();
            WebElement map = columns.get(m).findElement(By.cssSelector("svg.map"));
            assertEquals("1", map.getAttribute("data-layer"));
            assertEquals("3", map.getAttribute("data-head"));
            // Every causal cell, read in one script call: i, j, weight, whether it is drawn as an exact zero.
            @SuppressWarnings("unchecked")
            List<List<Object>> cells = (List<List<Object>>) ((JavascriptExecutor) browser).executeScript(
                    "return Array.from(arguments[0].querySelectorAll('rect.cell')).map(r => [Number(r.dataset.i),"
                            + " Number(r.dataset.j), r.dataset.w, r.classList.contains('zero'), r.getAttribute('fill')]);",
                    map);
            JsonArray weights = model.getAsJsonArray("weights");
            int n = weights.size();
            assertEquals(n * (n + 1) / 2, cells.size(), "one cell per causal pair");
            int zeros = 0;
            for (List<Object> c : cells) {
                int i = ((Number) c.get(0)).intValue();
                int j = ((Number) c.get(1)).intValue();
                float w = weights.get(i).getAsJsonArray().get(j).getAsFloat();
                assertEquals(w, Float.parseFloat((String) c.get(2)), 0f, "cell " + i + "," + j);
                boolean zero = (Boolean) c.get(3);
                assertEquals(w == 0f, zero, "cell " + i + "," + j + " with weight " + w);
                assertEquals(zero, "url(#hatch)".equals(c.get(4)), "exact zeros, and only they, are hatched");
                zeros += zero ? 1 : 0;
            }
            if (m == 0) {
                assertTrue(zeros > 0, "the lazy model's head shows exact zeros");
            }
            JsonObject summary = model.getAsJsonArray("summary").get(1).getAsJsonArray().get(3).getAsJsonObject();
            String info = columns.get(m).findElement(By.cssSelector(".headinfo")).getText();
            assertTrue(info.contains(String.format(java.util.Locale.ROOT, "sparsity %.1f%%",
                    100 * summary.get("sparsity").getAsDouble())), info);
            assertTrue(info.contains(m == 0 ? String.format(java.util.Locale.ROOT, "tau %.3f",
                    summary.get("tau").getAsDouble()) : "tau none"), info);
            JsonObject collapse = model.getAsJsonObject("collapse");
            assertTrue(info.contains(String.format(java.util.Locale.ROOT, "mean cosine %.3f",
                    collapse.getAsJsonArray("meanCosine").get(1).getAsDouble())), info);
            assertTrue(info.contains(String.format(java.util.Locale.ROOT, "effective rank %.2f",
                    collapse.getAsJsonArray("effectiveRank").get(1).getAsDouble())), info);
        }
        assertEquals("3", browser.findElement(By.id("head")).getAttribute("value"));

        // A bad request shows the server's message on the page, and the page keeps working.
        text.clear();
        text.sendKeys("word ".repeat(60));
        browser.findElement(By.id("analyze")).click();
        wait.until(ExpectedConditions.attributeToBe(By.id("status"), "class", "error"));
        assertTrue(browser.findElement(By.id("status")).getText().contains("at most"),
                browser.findElement(By.id("status")).getText());

        text.clear();
        text.sendKeys(TEXT);
        browser.findElement(By.id("analyze")).click();
        wait.until(ExpectedConditions.textMatches(By.id("status"), java.util.regex.Pattern.compile("analysed")));
        thumbs = browser.findElements(By.cssSelector("#columns .model .heads .headthumb"));
        thumbs.get(3).click();
        new Actions(browser).moveToElement(browser.findElements(By.cssSelector(".tokens .tok:not(.special)")).get(5))
                .perform();
        Path target = Path.of("target");
        Files.createDirectories(target);
        Path shot = browser.getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(shot, target.resolve("serve-page.png"), StandardCopyOption.REPLACE_EXISTING);
        assertTrue(Files.size(target.resolve("serve-page.png")) > 10_000);
    }
}
