package dev.lazyattention.corenlp;

/**
 * A {@code lazylm} annotator that cannot be built as configured: an unknown {@code lazylm.*} key (named with
 * the closest known one), a bad value, or a model file that is missing or refused. The message names the
 * property and, for a model file, the file and the reason.
 *
 * <p>CoreNLP builds custom annotators by reflection and wraps whatever their constructor throws in its own
 * {@code MetaClass$ClassCreationException}, two levels above the reason. So the annotator's constructor keeps
 * this exception and throws it from {@code requires()}, which {@code StanfordCoreNLP}'s constructor calls
 * without wrapping: the exception that {@code new StanfordCoreNLP(props)} throws is this one, with this
 * message (a pipeline built with {@code enforceRequirements = false} throws it from its first {@code
 * annotate} instead).
 */
public class LazyLmConfigurationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public LazyLmConfigurationException(String message) {
        super(message);
    }

    public LazyLmConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
