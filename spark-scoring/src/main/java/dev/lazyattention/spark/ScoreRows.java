package dev.lazyattention.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.Seq;
import scala.jdk.javaapi.CollectionConverters;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The output schema of a scoring job and the rows that fill it. Every input column is kept (in sentence rows,
 * every one but the text), so that results join back to their documents by the input's own keys; the scores
 * follow:
 *
 * <ul>
 *   <li>documents: {@code logProb, perplexity, bitsPerByte, pieces, bytes, [sparsity, sinkMass], error};
 *   <li>sentences: {@code sentenceIndex, begin, end, sentence, logProb, ..., error};
 *   <li>both: the document columns with {@code sentences}, an array of structs {@code sentenceIndex, begin,
 *       end, sentence, logProb, ...}, before {@code error}; {@code explode} gives the sentence rows.
 * </ul>
 *
 * A document with an {@code error} has null scores (and a null {@code sentences}); in sentence rows it is one
 * row with null sentence columns, so that failures stay visible.
 */
final class ScoreRows implements Serializable {

    private static final long serialVersionUID = 1L;

    private final OutputLevel level;
    private final boolean attentionStats;
    private final int textIndex;
    private final int[] kept;
    private final StructType schema;

    /**
     * @throws IllegalArgumentException if the text column is missing or not a string, or an input column has
     *     the name of an output column
     */
    ScoreRows(StructType input, String textColumn, OutputLevel level, boolean attentionStats) {
        this.level = level;
        this.attentionStats = attentionStats;
        List<String> names = Arrays.asList(input.fieldNames());
        textIndex = names.indexOf(textColumn);
        if (textIndex < 0) {
            throw new IllegalArgumentException("no text column '" + textColumn + "'; the input has " + names);
        }
        DataType type = input.fields()[textIndex].dataType();
        if (!type.equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("text column '" + textColumn + "' is " + type.simpleString()
                    + ", not a string; cast it first");
        }
        List<StructField> fields = new ArrayList<>();
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < input.fields().length; i++) {
            if (level != OutputLevel.SENTENCES || i != textIndex) {
                keep.add(i);
                fields.add(input.fields()[i]);
            }
        }
        kept = keep.stream().mapToInt(Integer::intValue).toArray();
        List<StructField> added = new ArrayList<>();
        if (level == OutputLevel.SENTENCES) {
            added.addAll(sentenceFields());
        }
        added.addAll(scoreFields());
        if (level == OutputLevel.BOTH) {
            List<StructField> sentence = new ArrayList<>(sentenceFields());
            sentence.addAll(scoreFields());
            added.add(DataTypes.createStructField("sentences",
                    DataTypes.createArrayType(DataTypes.createStructType(sentence), false), true));
        }
        added.add(DataTypes.createStructField("error", DataTypes.StringType, true));
        rejectClashes(fields, added);
        fields.addAll(added);
        schema = DataTypes.createStructType(fields);
    }

    private static List<StructField> sentenceFields() {
        return List.of(DataTypes.createStructField("sentenceIndex", DataTypes.IntegerType, true),
                DataTypes.createStructField("begin", DataTypes.IntegerType, true),
                DataTypes.createStructField("end", DataTypes.IntegerType, true),
                DataTypes.createStructField("sentence", DataTypes.StringType, true));
    }

    private List<StructField> scoreFields() {
        List<StructField> f = new ArrayList<>(List.of(
                DataTypes.createStructField("logProb", DataTypes.DoubleType, true),
                DataTypes.createStructField("perplexity", DataTypes.DoubleType, true),
                DataTypes.createStructField("bitsPerByte", DataTypes.DoubleType, true),
                DataTypes.createStructField("pieces", DataTypes.IntegerType, true),
                DataTypes.createStructField("bytes", DataTypes.LongType, true)));
        if (attentionStats) {
            f.add(DataTypes.createStructField("sparsity", DataTypes.DoubleType, true));
            f.add(DataTypes.createStructField("sinkMass", DataTypes.DoubleType, true));
        }
        return f;
    }

    /** Spark resolves names case-insensitively by default, so a clash in any case would be ambiguous. */
    private static void rejectClashes(List<StructField> kept, List<StructField> added) {
        Set<String> addedNames = new TreeSet<>();
        for (StructField f : added) {
            addedNames.add(f.name().toLowerCase(Locale.ROOT));
        }
        List<String> clashes = new ArrayList<>();
        for (StructField f : kept) {
            if (addedNames.contains(f.name().toLowerCase(Locale.ROOT))) {
                clashes.add(f.name());
            }
        }
        if (!clashes.isEmpty()) {
            throw new IllegalArgumentException("input columns " + clashes
                    + " have the names of output columns; rename or drop them first");
        }
    }

    StructType schema() {
        return schema;
    }

    /** The text of an input row, or null. */
    String text(Row input) {
        return input.isNullAt(textIndex) ? null : input.getString(textIndex);
    }

    /** The output rows of one input row and its result, appended to {@code out}. */
    void append(Row input, ScoredDocument result, List<Row> out) {
        if (level == OutputLevel.SENTENCES) {
            if (result.error() != null) {
                List<Object> added = sentenceValues(null);
                added.add(result.error());
                out.add(row(input, added));
            } else {
                for (ScoredSentence s : result.sentences()) {
                    List<Object> added = sentenceValues(s);
                    added.add(null);
                    out.add(row(input, added));
                }
            }
            return;
        }
        List<Object> added = scoreValues(result.score());
        if (level == OutputLevel.BOTH) {
            added.add(sentenceArray(result.sentences()));
        }
        added.add(result.error());
        out.add(row(input, added));
    }

    /** The kept input values, then {@code added}. */
    private Row row(Row input, List<Object> added) {
        Object[] values = new Object[kept.length + added.size()];
        for (int i = 0; i < kept.length; i++) {
            values[i] = input.get(kept[i]);
        }
        for (int i = 0; i < added.size(); i++) {
            values[kept.length + i] = added.get(i);
        }
        return RowFactory.create(values);
    }

    /** The sentence structs, or null for none (a document with an error). */
    private Seq<Row> sentenceArray(List<ScoredSentence> sentences) {
        if (sentences == null) {
            return null;
        }
        List<Row> structs = new ArrayList<>(sentences.size());
        for (ScoredSentence s : sentences) {
            structs.add(RowFactory.create(sentenceValues(s).toArray()));
        }
        // Spark's row encoder takes an array column's value as a Scala Seq.
        return CollectionConverters.asScala(structs);
    }

    /** A sentence's columns and scores; all null for no sentence. */
    private List<Object> sentenceValues(ScoredSentence s) {
        List<Object> v = new ArrayList<>();
        v.add(s == null ? null : s.index());
        v.add(s == null ? null : s.span().begin());
        v.add(s == null ? null : s.span().end());
        v.add(s == null ? null : s.text());
        v.addAll(scoreValues(s == null ? null : s.score()));
        return v;
    }

    /** The score columns' values; all null for no score. */
    private List<Object> scoreValues(TextScore s) {
        List<Object> v = new ArrayList<>();
        v.add(s == null ? null : s.logProb());
        v.add(s == null ? null : s.perplexity());
        v.add(s == null ? null : s.bitsPerByte());
        v.add(s == null ? null : s.pieces());
        v.add(s == null ? null : s.bytes());
        if (attentionStats) {
            v.add(s == null ? null : s.sparsity());
            v.add(s == null ? null : s.sinkMass());
        }
        return v;
    }
}
