package dev.lazyattention.spark;

/**
 * One sentence of a document, scored on its own after a document boundary (as the CoreNLP annotator does in
 * sentence scope).
 *
 * @param index position among the document's sentences, from 0
 * @param span where it is in the document
 * @param text its text
 * @param score its scores
 */
public record ScoredSentence(int index, TextSpan span, String text, TextScore score) {}
