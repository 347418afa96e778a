package dev.lazyattention.engine;

/** DJL settings every command-line entry point applies before the engine loads. */
public final class DjlSetup {

    private DjlSetup() {}

    /**
     * No usage tracking and no download: libtorch comes from the native jar on the class path. Values the
     * user set on the command line ({@code -DOPT_OUT_TRACKING}, {@code -Dai.djl.offline}) win.
     */
    public static void offline() {
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }
}
