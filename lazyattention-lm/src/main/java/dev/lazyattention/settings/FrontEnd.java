package dev.lazyattention.settings;

/** The front ends that read settings; a {@link SettingTable} says how each spells a setting's key. */
public enum FrontEnd {
    /** The {@code lazyattn} commands: {@code --kebab-case} options. */
    CLI,
    /** Stanford CoreNLP properties. */
    CORENLP,
    /** Apache OpenNLP training parameters and command-line tools. */
    OPENNLP,
    /** The Spark job's options ({@code ScoreCorpus}). */
    SPARK
}
