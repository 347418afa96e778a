package dev.lazyattention.spark;

import dev.lazyattention.testing.SyntheticCorpus;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/** Test documents as DataFrames of {@code (id int, text string)}. */
final class Corpora {

    static final StructType SCHEMA = DataTypes.createStructType(List.of(
            DataTypes.createStructField("id", DataTypes.IntegerType, false),
            DataTypes.createStructField("text", DataTypes.StringType, true)));

    private Corpora() {}

    /** {@code count} synthetic paragraphs of 3 to 6 sentences, each ending in its only full stop. */
    static List<String> paragraphs(int count, long seed) {
        return SyntheticCorpus.documents(count, seed);
    }

    static Dataset<Row> frame(SparkSession spark, List<String> texts, int partitions) {
        List<Row> rows = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            rows.add(RowFactory.create(i, texts.get(i)));
        }
        return spark.createDataFrame(rows, SCHEMA).repartition(partitions);
    }
}
