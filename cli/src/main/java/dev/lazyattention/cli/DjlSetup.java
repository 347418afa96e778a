package dev.lazyattention.cli;

/** DJL settings every entry point needs before the engine loads. */
final class DjlSetup {

    private DjlSetup() {}

    /** No usage tracking, no download: libtorch comes from the native jar on the class path. */
    static void offline() {
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }
}
