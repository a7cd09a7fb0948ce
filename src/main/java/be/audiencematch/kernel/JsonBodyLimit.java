package be.audiencematch.kernel;

import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.inject.Instance;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts a JSON body as Jackson reads it, after decompression and whatever the transfer encoding, and stops at
 * {@code audience-match.json.max-bytes}: RequestGuards can only trust {@code Content-Length}, which a gzip body
 * (64 MB of JSON in 64 KB) or a chunked one does not give. Quarkus REST streams a body past its small input buffer to
 * the reader, so no more than the limit (and that buffer) is ever read. The refusal is an IOException, which Jackson
 * passes through as it is, rather than a RuntimeException, which it would wrap into a 400.
 */
@Provider
public class JsonBodyLimit implements ReaderInterceptor {

    /** Raised by the counting stream; answered 413. */
    public static final class TooLarge extends IOException {
        TooLarge(long limit) {
            super("body exceeds " + limit + " bytes", null);
        }
    }

    /**
     * Looked up at the first request: Quarkus REST makes its interceptors at static init, before the runtime
     * configuration (and so the mapping) exists.
     */
    private final Instance<AudienceMatchConfig> config;
    private volatile long maxBytes = -1;

    public JsonBodyLimit(Instance<AudienceMatchConfig> config) {
        this.config = config;
    }

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        if (isJson(context.getMediaType())) {
            long limit = maxBytes;
            if (limit < 0) {
                limit = config.get().json().maxBytes();
                maxBytes = limit;
            }
            context.setInputStream(new Counted(context.getInputStream(), limit));
        }
        return context.proceed();
    }

    static boolean isJson(MediaType type) {
        return type != null && "application".equals(type.getType())
                && ("json".equals(type.getSubtype()) || type.getSubtype().endsWith("+json"));
    }

    @ServerExceptionMapper
    public Response tooLarge(TooLarge e, RoutingContext request) {
        // Closing the connection once the answer is out stops a client that is still sending the rest.
        request.addEndHandler(done -> request.request().connection().close());
        return Response.fromResponse(ProblemMappers.response(Problem.of(413, "Content Too Large", e.getMessage())))
                .header("Connection", "close").build();
    }

    private static final class Counted extends FilterInputStream {
        private final long limit;
        private long count;
        private boolean exceeded;

        Counted(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        /**
         * Past the limit the underlying stream is left open: closing it reads the rest of the body (to keep the
         * connection usable) before any answer goes out, however large the rest is.
         */
        @Override
        public void close() throws IOException {
            if (!exceeded) {
                super.close();
            }
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                counted(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            counted(skipped);
            return skipped;
        }

        private void counted(long n) throws TooLarge {
            count += n;
            if (count > limit) {
                exceeded = true;
                throw new TooLarge(limit);
            }
        }
    }
}
