package dev.lazyattention.corenlp;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.ExtensionRegistry;
import com.google.protobuf.GeneratedMessageV3;
import com.google.protobuf.Message;
import dev.lazyattention.eval.TokenPrediction;
import edu.stanford.nlp.ling.CoreAnnotation;
import edu.stanford.nlp.ling.CoreLabel;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.CoreNLPProtos;
import edu.stanford.nlp.pipeline.ProtobufAnnotationSerializer;
import edu.stanford.nlp.pipeline.StanfordCoreNLPClient;
import edu.stanford.nlp.util.CoreMap;
import edu.stanford.nlp.util.Pair;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * CoreNLP's protobuf serializer with the {@code lazylm} values, which the stock one refuses
 * ({@code LossySerializationException}), carried as extensions of CoreNLP's {@code Token}, {@code Sentence}
 * and {@code Document} messages (fields 100 to 255 are left to extensions). {@link LazyLmServer} writes its
 * protobuf answers with it; select it elsewhere with {@code outputFormat=serialized} and
 * {@code outputSerializer=dev.lazyattention.corenlp.LazyLmProtobufSerializer}. A reader that does not know the
 * extensions gets every standard field and skips ours.
 *
 * <p>The extensions are declared in {@code dev/lazyattention/corenlp/lazylm.proto} in this jar (package
 * {@code dev.lazyattention.corenlp}, proto2, importing {@code CoreNLP.proto}), for clients in other languages
 * to compile: on {@code Token} fields 200 and 201, on {@code Sentence} 200 to 206, on {@code Document} 200 to
 * 205 ({@link #FILE} is the same file, tested equal).
 *
 * The descriptor is built here with protobuf-java's descriptor API rather than compiled by {@code protoc}:
 * {@code protoc} would need CoreNLP's {@code CoreNLP.proto}, which CoreNLP's jar does not ship, and a native
 * binary per build platform, for fourteen scalar fields and one small message.
 */
public class LazyLmProtobufSerializer extends ProtobufAnnotationSerializer {

    private static final String PACKAGE = "dev.lazyattention.corenlp";

    /** The file that declares the extensions; {@code lazylm.proto}, depending on CoreNLP's. */
    public static final Descriptors.FileDescriptor FILE = buildFile();

    /** {@code NextToken}: one of a sentence's most likely next model pieces. */
    public static final Descriptors.Descriptor NEXT_TOKEN = FILE.findMessageTypeByName("NextToken");

    public static final FieldDescriptor TOKEN_LOG_PROB = extension("token_log_prob");
    public static final FieldDescriptor TOKEN_SURPRISAL_BITS = extension("token_surprisal_bits");
    public static final FieldDescriptor SENTENCE_LOG_PROB = extension("sentence_log_prob");
    public static final FieldDescriptor SENTENCE_PERPLEXITY = extension("sentence_perplexity");
    public static final FieldDescriptor SENTENCE_BITS_PER_BYTE = extension("sentence_bits_per_byte");
    public static final FieldDescriptor SENTENCE_PIECES = extension("sentence_pieces");
    public static final FieldDescriptor SENTENCE_SPARSITY = extension("sentence_sparsity");
    public static final FieldDescriptor SENTENCE_SINK_MASS = extension("sentence_sink_mass");
    public static final FieldDescriptor SENTENCE_NEXT_TOKENS = extension("sentence_next_tokens");
    public static final FieldDescriptor DOCUMENT_LOG_PROB = extension("document_log_prob");
    public static final FieldDescriptor DOCUMENT_PERPLEXITY = extension("document_perplexity");
    public static final FieldDescriptor DOCUMENT_BITS_PER_BYTE = extension("document_bits_per_byte");
    public static final FieldDescriptor DOCUMENT_PIECES = extension("document_pieces");
    public static final FieldDescriptor DOCUMENT_SPARSITY = extension("document_sparsity");
    public static final FieldDescriptor DOCUMENT_SINK_MASS = extension("document_sink_mass");

    /** Every extension of {@link #FILE}, for parsing CoreNLP's messages with the values. */
    public static final ExtensionRegistry REGISTRY = registry();

    private static final FieldDescriptor NEXT_ID = NEXT_TOKEN.findFieldByName("id");
    private static final FieldDescriptor NEXT_TEXT = NEXT_TOKEN.findFieldByName("token");
    private static final FieldDescriptor NEXT_PROBABILITY = NEXT_TOKEN.findFieldByName("probability");

    /** A serializer that refuses, as CoreNLP's does by default, any other key it cannot write. */
    public LazyLmProtobufSerializer() {
        super(true);
    }

    /**
     * Makes CoreNLP's client read its answers with this serializer, so that the {@code lazylm} values reach
     * its annotations. {@code StanfordCoreNLPClient} (4.5.10) takes no property for its serializer: it keeps
     * a stock one in its private field {@code serializer}, which this replaces.
     *
     * @return {@code client}
     * @throws IllegalStateException if this CoreNLP's client has no such field
     */
    public static StanfordCoreNLPClient readLazyLmValues(StanfordCoreNLPClient client) {
        try {
            Field field = StanfordCoreNLPClient.class.getDeclaredField("serializer");
            field.setAccessible(true);
            field.set(client, new LazyLmProtobufSerializer());
            return client;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("this CoreNLP's StanfordCoreNLPClient has no serializer field to set ("
                    + e + "); read the server's answer with LazyLmProtobufSerializer.read instead", e);
        }
    }

    /** Reads a length-delimited document, the {@code lazylm} extensions included. */
    @Override
    public Pair<Annotation, InputStream> read(InputStream is) throws IOException {
        CoreNLPProtos.Document doc = CoreNLPProtos.Document.parseDelimitedFrom(is, REGISTRY);
        if (doc == null) {
            throw new IOException("no document: the stream ended");
        }
        return Pair.makePair(fromProto(doc), is);
    }

    @Override
    protected CoreNLPProtos.Token.Builder toProtoBuilder(CoreLabel token, Set<Class<?>> keysToSerialize,
            Set<Class<?>> keysToSkip) {
        CoreNLPProtos.Token.Builder builder = super.toProtoBuilder(token, keysToSerialize, keysToSkip);
        put(builder, token, LazyLmAnnotations.TokenLogProbability.class, TOKEN_LOG_PROB, keysToSerialize);
        put(builder, token, LazyLmAnnotations.TokenSurprisal.class, TOKEN_SURPRISAL_BITS, keysToSerialize);
        return builder;
    }

    @Override
    protected CoreNLPProtos.Sentence.Builder toProtoBuilder(CoreMap sentence, Set<Class<?>> keysToSerialize) {
        CoreNLPProtos.Sentence.Builder builder = super.toProtoBuilder(sentence, keysToSerialize);
        put(builder, sentence, LazyLmAnnotations.SentenceLogProbability.class, SENTENCE_LOG_PROB, keysToSerialize);
        put(builder, sentence, LazyLmAnnotations.SentencePerplexity.class, SENTENCE_PERPLEXITY, keysToSerialize);
        put(builder, sentence, LazyLmAnnotations.SentenceBitsPerByte.class, SENTENCE_BITS_PER_BYTE, keysToSerialize);
        put(builder, sentence, LazyLmAnnotations.SentencePieceCount.class, SENTENCE_PIECES, keysToSerialize);
        put(builder, sentence, LazyLmAnnotations.SentenceSparsity.class, SENTENCE_SPARSITY, keysToSerialize);
        put(builder, sentence, LazyLmAnnotations.SentenceSinkMass.class, SENTENCE_SINK_MASS, keysToSerialize);
        List<TokenPrediction> next = sentence.get(LazyLmAnnotations.SentenceNextTokens.class);
        if (next != null) {
            for (TokenPrediction p : next) {
                builder.addRepeatedField(SENTENCE_NEXT_TOKENS, DynamicMessage.newBuilder(NEXT_TOKEN)
                        .setField(NEXT_ID, p.id()).setField(NEXT_TEXT, p.text())
                        .setField(NEXT_PROBABILITY, p.probability()).build());
            }
        }
        keysToSerialize.remove(LazyLmAnnotations.SentenceNextTokens.class);
        return builder;
    }

    @Override
    protected CoreNLPProtos.Document.Builder toProtoBuilder(Annotation doc, Set<Class<?>> keysToSerialize) {
        CoreNLPProtos.Document.Builder builder = super.toProtoBuilder(doc, keysToSerialize);
        put(builder, doc, LazyLmAnnotations.DocumentLogProbability.class, DOCUMENT_LOG_PROB, keysToSerialize);
        put(builder, doc, LazyLmAnnotations.DocumentPerplexity.class, DOCUMENT_PERPLEXITY, keysToSerialize);
        put(builder, doc, LazyLmAnnotations.DocumentBitsPerByte.class, DOCUMENT_BITS_PER_BYTE, keysToSerialize);
        put(builder, doc, LazyLmAnnotations.DocumentPieceCount.class, DOCUMENT_PIECES, keysToSerialize);
        put(builder, doc, LazyLmAnnotations.DocumentSparsity.class, DOCUMENT_SPARSITY, keysToSerialize);
        put(builder, doc, LazyLmAnnotations.DocumentSinkMass.class, DOCUMENT_SINK_MASS, keysToSerialize);
        return builder;
    }

    @Override
    public CoreLabel fromProto(CoreNLPProtos.Token proto) {
        CoreLabel token = super.fromProto(proto);
        get(proto, TOKEN_LOG_PROB, token, LazyLmAnnotations.TokenLogProbability.class);
        get(proto, TOKEN_SURPRISAL_BITS, token, LazyLmAnnotations.TokenSurprisal.class);
        return token;
    }

    @Override
    protected CoreMap fromProtoNoTokens(CoreNLPProtos.Sentence proto) {
        CoreMap sentence = super.fromProtoNoTokens(proto);
        get(proto, SENTENCE_LOG_PROB, sentence, LazyLmAnnotations.SentenceLogProbability.class);
        get(proto, SENTENCE_PERPLEXITY, sentence, LazyLmAnnotations.SentencePerplexity.class);
        get(proto, SENTENCE_BITS_PER_BYTE, sentence, LazyLmAnnotations.SentenceBitsPerByte.class);
        get(proto, SENTENCE_PIECES, sentence, LazyLmAnnotations.SentencePieceCount.class);
        get(proto, SENTENCE_SPARSITY, sentence, LazyLmAnnotations.SentenceSparsity.class);
        get(proto, SENTENCE_SINK_MASS, sentence, LazyLmAnnotations.SentenceSinkMass.class);
        int n = proto.getRepeatedFieldCount(SENTENCE_NEXT_TOKENS);
        if (n > 0) {
            List<TokenPrediction> next = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Message p = (Message) proto.getRepeatedField(SENTENCE_NEXT_TOKENS, i);
                next.add(new TokenPrediction((Integer) p.getField(NEXT_ID), (String) p.getField(NEXT_TEXT),
                        (Double) p.getField(NEXT_PROBABILITY)));
            }
            sentence.set(LazyLmAnnotations.SentenceNextTokens.class, next);
        }
        return sentence;
    }

    @Override
    public Annotation fromProto(CoreNLPProtos.Document proto) {
        Annotation doc = super.fromProto(proto);
        get(proto, DOCUMENT_LOG_PROB, doc, LazyLmAnnotations.DocumentLogProbability.class);
        get(proto, DOCUMENT_PERPLEXITY, doc, LazyLmAnnotations.DocumentPerplexity.class);
        get(proto, DOCUMENT_BITS_PER_BYTE, doc, LazyLmAnnotations.DocumentBitsPerByte.class);
        get(proto, DOCUMENT_PIECES, doc, LazyLmAnnotations.DocumentPieceCount.class);
        get(proto, DOCUMENT_SPARSITY, doc, LazyLmAnnotations.DocumentSparsity.class);
        get(proto, DOCUMENT_SINK_MASS, doc, LazyLmAnnotations.DocumentSinkMass.class);
        return doc;
    }

    /** Writes {@code key}'s value, when set, to {@code field}, and marks the key as written. */
    private static void put(GeneratedMessageV3.ExtendableBuilder<?, ?> builder, CoreMap map,
            Class<? extends CoreAnnotation<?>> key, FieldDescriptor field, Set<Class<?>> keysToSerialize) {
        @SuppressWarnings({"unchecked", "rawtypes"})
        Object value = map.get((Class) key);
        if (value != null) {
            builder.setField(field, value);
        }
        keysToSerialize.remove(key);
    }

    /** Reads {@code field}, when present, into {@code key}. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void get(GeneratedMessageV3.ExtendableMessage<?> proto, FieldDescriptor field, CoreMap map,
            Class<? extends CoreAnnotation<?>> key) {
        if (proto.hasField(field)) {
            map.set((Class) key, proto.getField(field));
        }
    }

    private static Descriptors.FileDescriptor buildFile() {
        String token = ".edu.stanford.nlp.pipeline.Token";
        String sentence = ".edu.stanford.nlp.pipeline.Sentence";
        String document = ".edu.stanford.nlp.pipeline.Document";
        FileDescriptorProto.Builder file = FileDescriptorProto.newBuilder()
                .setName("lazylm.proto").setPackage(PACKAGE).setSyntax("proto2")
                .addDependency(CoreNLPProtos.getDescriptor().getName())
                .addMessageType(DescriptorProto.newBuilder().setName("NextToken")
                        .addField(field("id", 1, Type.TYPE_INT32, Label.LABEL_OPTIONAL))
                        .addField(field("token", 2, Type.TYPE_STRING, Label.LABEL_OPTIONAL))
                        .addField(field("probability", 3, Type.TYPE_DOUBLE, Label.LABEL_OPTIONAL)))
                .addExtension(extension(token, "token_log_prob", 200, Type.TYPE_DOUBLE))
                .addExtension(extension(token, "token_surprisal_bits", 201, Type.TYPE_DOUBLE))
                .addExtension(extension(sentence, "sentence_log_prob", 200, Type.TYPE_DOUBLE))
                .addExtension(extension(sentence, "sentence_perplexity", 201, Type.TYPE_DOUBLE))
                .addExtension(extension(sentence, "sentence_bits_per_byte", 202, Type.TYPE_DOUBLE))
                .addExtension(extension(sentence, "sentence_pieces", 203, Type.TYPE_INT32))
                .addExtension(extension(sentence, "sentence_sparsity", 204, Type.TYPE_DOUBLE))
                .addExtension(extension(sentence, "sentence_sink_mass", 205, Type.TYPE_DOUBLE))
                .addExtension(field("sentence_next_tokens", 206, Type.TYPE_MESSAGE, Label.LABEL_REPEATED)
                        .setExtendee(sentence).setTypeName("." + PACKAGE + ".NextToken"))
                .addExtension(extension(document, "document_log_prob", 200, Type.TYPE_DOUBLE))
                .addExtension(extension(document, "document_perplexity", 201, Type.TYPE_DOUBLE))
                .addExtension(extension(document, "document_bits_per_byte", 202, Type.TYPE_DOUBLE))
                .addExtension(extension(document, "document_pieces", 203, Type.TYPE_INT32))
                .addExtension(extension(document, "document_sparsity", 204, Type.TYPE_DOUBLE))
                .addExtension(extension(document, "document_sink_mass", 205, Type.TYPE_DOUBLE));
        try {
            return Descriptors.FileDescriptor.buildFrom(file.build(),
                    new Descriptors.FileDescriptor[] {CoreNLPProtos.getDescriptor()});
        } catch (Descriptors.DescriptorValidationException e) {
            throw new IllegalStateException("lazylm.proto does not fit this CoreNLP's CoreNLP.proto: " + e.getMessage(), e);
        }
    }

    private static FieldDescriptorProto.Builder field(String name, int number, Type type, Label label) {
        return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type).setLabel(label);
    }

    private static FieldDescriptorProto.Builder extension(String extendee, String name, int number, Type type) {
        return field(name, number, type, Label.LABEL_OPTIONAL).setExtendee(extendee);
    }

    private static FieldDescriptor extension(String name) {
        return FILE.findExtensionByName(name);
    }

    private static ExtensionRegistry registry() {
        ExtensionRegistry registry = ExtensionRegistry.newInstance();
        for (FieldDescriptor field : FILE.getExtensions()) {
            if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                registry.add(field, DynamicMessage.getDefaultInstance(field.getMessageType()));
            } else {
                registry.add(field);
            }
        }
        return registry;
    }
}
