package dev.lazyattention.settings;

/** The front ends that read settings; a {@link SettingTable} says how each spells a setting's key. */
public enum FrontEnd {
    /** The {@code lazyattn} commands: {@code --kebab-case} options. */
    CLI("CLI"),
    /** Stanford CoreNLP properties. */
    CORENLP("CoreNLP"),
    /** Apache OpenNLP training parameters and command-line tools. */
    OPENNLP("OpenNLP"),
    /** The Spark job's options ({@code ScoreCorpus}). */
    SPARK("Spark");

    private final String title;

    FrontEnd(String title) {
        this.title = title;
    }

    /** The front end's name as the docs write it. */
    public String title() {
        return title;
    }
}
