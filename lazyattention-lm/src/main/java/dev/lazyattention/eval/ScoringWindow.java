package dev.lazyattention.eval;

/**
 * One window of one request: the tokens {@code [start, end)} are the model's inputs, and the window scores
 * the targets {@code [from, min(end + 1, n))} of the request's {@code n} tokens, each one predicted by the
 * input just before it. It owns the positions {@code [from - 1, end)}: the inputs that predict its targets,
 * and the request's last token when that is the window's last input. Every position a request needs is
 * owned by exactly one of its windows.
 *
 * <p>With {@code startToken} the window's row begins with the model's start token (the end-of-text token)
 * before {@code tokens[start]}: context only, owned by no window and scoring no target, as in training.
 */
record ScoringWindow(int request, int start, int end, int from, boolean startToken) {

    ScoringWindow(int request, int start, int end, int from) {
        this(request, start, end, from, false);
    }

    /** Positions of the row: the request's tokens and the start token if any. */
    int length() {
        return end - start + offset();
    }

    /** Row position of {@code tokens[start]}: 1 after a start token, else 0. */
    int offset() {
        return startToken ? 1 : 0;
    }

    boolean owns(int position) {
        return position >= from - 1 && position < end;
    }

    /** The first target not scored here: one past the target of the last input, at most {@code n}. */
    int targetEnd(int n) {
        return Math.min(end + 1, n);
    }
}
