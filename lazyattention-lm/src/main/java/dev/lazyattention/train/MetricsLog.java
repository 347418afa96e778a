package dev.lazyattention.train;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Training metrics as JSON lines, one object per event ({@code "event": "train" | "valid"}), flushed line by
 * line so that a crash loses nothing already reported. Resuming at step {@code s} first drops lines of
 * later steps, so the file tells one consistent run.
 */
public final class MetricsLog implements Closeable {

    private static final Gson GSON = new Gson();

    private final Path file;
    private final BufferedWriter out;

    private MetricsLog(Path file, BufferedWriter out) {
        this.file = file;
        this.out = out;
    }

    /** A new log (an existing file is replaced). */
    public static MetricsLog create(Path file) throws IOException {
        return new MetricsLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8));
    }

    /** Continues a log at {@code step}: lines of later steps, and unreadable trailing lines, are dropped. */
    public static MetricsLog resume(Path file, int step) throws IOException {
        List<String> kept = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                try {
                    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                    if (o.get("step").getAsInt() <= step) {
                        kept.add(line);
                    }
                } catch (RuntimeException e) {
                    break; // a line cut by a crash: everything after it is unreliable
                }
            }
        }
        Files.write(file, kept, StandardCharsets.UTF_8);
        return new MetricsLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
    }

    /**
     * The last training loss and the last validation loss logged at or before {@code step} (NaN where there
     * is none, or no log), read up to the first unreadable line.
     */
    static double[] lastLosses(Path file, int step) throws IOException {
        double[] losses = {Double.NaN, Double.NaN};
        if (!Files.isRegularFile(file)) {
            return losses;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            try {
                JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                if (o.get("step").getAsInt() > step || !o.has("loss")) {
                    continue;
                }
                switch (o.get("event").getAsString()) {
                    case "train" -> losses[0] = o.get("loss").getAsDouble();
                    case "valid" -> losses[1] = o.get("loss").getAsDouble();
                    default -> { }
                }
            } catch (RuntimeException e) {
                break; // a line cut by a crash
            }
        }
        return losses;
    }

    public synchronized void write(Map<String, Object> event) throws IOException {
        out.write(GSON.toJson(event));
        out.newLine();
        out.flush();
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
