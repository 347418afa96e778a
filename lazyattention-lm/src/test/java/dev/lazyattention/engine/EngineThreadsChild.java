package dev.lazyattention.engine;

import ai.djl.engine.Engine;

/**
 * A JVM whose engine starts after {@link EngineThreads#apply}: {@code REQUESTED CALLERS [LATER]} applies
 * {@code REQUESTED} ({@code -} for none) for {@code CALLERS} concurrent callers, prints the property it left,
 * starts the engine (which logs libtorch's own count when its logger is at info), then applies {@code LATER}
 * as {@code lazylm.threads} when given.
 */
public final class EngineThreadsChild {

    private EngineThreadsChild() {}

    public static void main(String[] args) {
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
        Integer requested = args[0].equals("-") ? null : Integer.valueOf(args[0]);
        EngineThreads.Decision d = EngineThreads.apply(requested, Integer.parseInt(args[1]), "--threads");
        System.out.println("decision=" + d.describe());
        System.out.println("property=" + System.getProperty(EngineThreads.PROPERTY));
        System.out.println("engine=" + Engine.getInstance().getEngineName());
        if (args.length > 2) {
            EngineThreads.apply(Integer.valueOf(args[2]), 1, "lazylm.threads");
        }
        System.out.flush();
    }
}
