package dev.lazyattention.corenlp;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * An exchange that turns CoreNLP's answer to a refused request (401, "Unauthorized API request") into
 * 400 with the reason the guard gave, so that the client learns which property to drop. Everything else
 * passes through unchanged. Written by hand because CoreNLP's handler offers no other hook between
 * reading the request's properties and answering it.
 */
final class RefusingExchange extends HttpExchange {

    private final HttpExchange real;
    private final ThreadLocal<String> refusal;
    private final InputStream body;
    private boolean refused;

    /** Passes {@code real} through, with {@code body} as its request body (already read from {@code real}). */
    RefusingExchange(HttpExchange real, ThreadLocal<String> refusal, InputStream body) {
        this.real = real;
        this.refusal = refusal;
        this.body = body;
    }

    @Override
    public void sendResponseHeaders(int code, long length) throws IOException {
        String reason = refusal.get();
        if (reason == null) {
            real.sendResponseHeaders(code, length);
            return;
        }
        refused = true;
        byte[] body = ("lazylm: " + reason + "\n").getBytes(StandardCharsets.UTF_8);
        real.getResponseHeaders().set("Content-type", "text/plain; charset=utf-8");
        real.sendResponseHeaders(400, body.length);
        real.getResponseBody().write(body);
    }

    @Override
    public OutputStream getResponseBody() {
        return refused ? OutputStream.nullOutputStream() : real.getResponseBody();
    }

    @Override
    public Headers getRequestHeaders() {
        return real.getRequestHeaders();
    }

    @Override
    public Headers getResponseHeaders() {
        return real.getResponseHeaders();
    }

    @Override
    public URI getRequestURI() {
        return real.getRequestURI();
    }

    @Override
    public String getRequestMethod() {
        return real.getRequestMethod();
    }

    @Override
    public HttpContext getHttpContext() {
        return real.getHttpContext();
    }

    @Override
    public void close() {
        real.close();
    }

    @Override
    public InputStream getRequestBody() {
        return body;
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
        return real.getRemoteAddress();
    }

    @Override
    public int getResponseCode() {
        return real.getResponseCode();
    }

    @Override
    public InetSocketAddress getLocalAddress() {
        return real.getLocalAddress();
    }

    @Override
    public String getProtocol() {
        return real.getProtocol();
    }

    @Override
    public Object getAttribute(String name) {
        return real.getAttribute(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
        real.setAttribute(name, value);
    }

    @Override
    public void setStreams(InputStream in, OutputStream out) {
        real.setStreams(in, out);
    }

    @Override
    public HttpPrincipal getPrincipal() {
        return real.getPrincipal();
    }
}
