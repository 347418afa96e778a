package dev.lazyattention.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchChildTest {

    @Test
    void readsTheJsonObjectAfterWhatALibraryPrinted() {
        JsonObject json = BenchChild.parse("WARNING: a native library said hello\n{\"layer\": {\"lazy\": 1.5}}\n");
        assertEquals(1.5, json.getAsJsonObject("layer").get("lazy").getAsDouble(), 0.0);
        assertThrows(IllegalStateException.class, () -> BenchChild.parse("no json here\n"));
    }

    @Test
    void aFailingChildIsReportedWithItsNameAndError() {
        // A real child JVM from this class path; an unknown option fails before any engine starts.
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BenchChild.run(List.of("bench", "--no-such-option"), "a test child"));
        assertTrue(e.getMessage().startsWith("a test child failed (exit "), e.getMessage());
        assertTrue(e.getMessage().contains("--no-such-option"), e.getMessage());
    }
}
