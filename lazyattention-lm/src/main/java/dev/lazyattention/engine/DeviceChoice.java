package dev.lazyattention.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;

import java.util.Locale;

/**
 * The device a model runs on: {@code auto} (a GPU when the engine reports one, else the CPU), {@code cpu}
 * or {@code gpu}. The default comes from the system property {@code lazyattention.device}, then the
 * environment variable {@code LAZYATTENTION_DEVICE}, then {@code auto}.
 */
public final class DeviceChoice {

    /** System property that overrides the default device choice. */
    public static final String PROPERTY = "lazyattention.device";
    /** Environment variable read when the property is not set. */
    public static final String ENVIRONMENT = "LAZYATTENTION_DEVICE";

    private DeviceChoice() {}

    /** The device named by {@link #PROPERTY} / {@link #ENVIRONMENT}, default {@code auto}. */
    public static Device fromEnvironment() {
        String value = System.getProperty(PROPERTY);
        String source = "system property " + PROPERTY;
        if (value == null || value.isBlank()) {
            value = System.getenv(ENVIRONMENT);
            source = "environment variable " + ENVIRONMENT;
        }
        return value == null || value.isBlank() ? resolve("auto", source) : resolve(value, source);
    }

    /**
     * Resolves {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}.
     *
     * @param source what the value came from, for the error message (an option or property name)
     * @throws IllegalArgumentException for an unknown name or a GPU the engine does not have
     * @throws MissingEngineException for a GPU when there is no PyTorch engine
     */
    public static Device resolve(String value, String source) {
        String v = value == null ? "auto" : value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "auto":
                // Engine.getGpuCount probes CUDA only on an engine built with it (not the CPU libtorch).
                return Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
            case "cpu":
                return Device.cpu(); // no engine and no GPU probe needed
            default:
                if (v.equals("gpu") || v.startsWith("gpu:")) {
                    int id = v.equals("gpu") ? 0 : parseId(v.substring(4), value, source);
                    MissingEngineException.check(); // else DJL's RPC engine answers: 0 GPUs
                    Engine engine = Engine.getInstance();
                    if (id >= engine.getGpuCount()) {
                        throw new IllegalArgumentException(
                                source + "=" + value + ": the " + engine.getEngineName() + " engine reports "
                                        + engine.getGpuCount() + " GPU(s); use cpu or auto");
                    }
                    return Device.gpu(id);
                }
                throw new IllegalArgumentException(
                        source + "=" + value + ": expected auto, cpu, gpu or gpu:N");
        }
    }

    private static int parseId(String id, String value, String source) {
        try {
            return Integer.parseInt(id);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(source + "=" + value + ": expected auto, cpu, gpu or gpu:N", e);
        }
    }
}
