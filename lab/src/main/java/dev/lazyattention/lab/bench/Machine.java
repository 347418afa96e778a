package dev.lazyattention.lab.bench;

import ai.djl.engine.Engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** One line describing the machine a measurement ran on. */
public final class Machine {

    private Machine() {}

    public static String describe() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            cpu = System.getProperty("os.arch");
        }
        Engine engine = Engine.getInstance();
        return String.format(Locale.ROOT, "%s, %d cores, %.0f GiB heap limit, Java %s, %s %s", cpu,
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / 1073741824.0,
                System.getProperty("java.version"), engine.getEngineName(), engine.getVersion());
    }
}
