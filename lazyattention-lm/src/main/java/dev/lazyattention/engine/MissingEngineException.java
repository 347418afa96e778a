package dev.lazyattention.engine;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;

/**
 * No PyTorch engine on the class path: the libraries depend on {@code ai.djl:api} only, so the application
 * brings the engine. Thrown before a model is built, by every loader (the language model, DJL's {@code
 * Criteria}, CoreNLP, OpenNLP, Spark), with one message that names the three dependencies to add.
 */
public final class MissingEngineException extends EngineException {

    private static final long serialVersionUID = 1L;

    /** The DJL engine every model of this project runs on. */
    public static final String ENGINE = "PyTorch";

    /** What to add, as the README's section "The engine" shows it. */
    static final String MESSAGE = "No " + ENGINE + " engine on the class path (DJL found only %s): add the engine"
            + " to your application, three dependencies: ai.djl.pytorch:pytorch-engine:0.36.0,"
            + " ai.djl.pytorch:pytorch-jni:2.7.1-0.36.0 and ai.djl.pytorch:pytorch-native-cpu:2.7.1 with the"
            + " classifier of your platform (linux-x86_64, linux-aarch64, osx-aarch64 or win-x86_64); see the"
            + " README, section \"The engine\" (for CUDA, lazyattention-lm/README.md, \"Devices and CUDA\"; for"
            + " spark-submit, spark-scoring/README.md, \"Run with spark-submit\")";

    private MissingEngineException(String message) {
        super(message);
    }

    /**
     * Returns when DJL has the PyTorch engine; else throws.
     *
     * @throws MissingEngineException naming the engine, the dependencies to add and the README section
     */
    public static void check() {
        if (!Engine.hasEngine(ENGINE)) {
            throw new MissingEngineException(String.format(MESSAGE, Engine.getAllEngines()));
        }
    }
}
