package be.audiencematch.kernel;

import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Inflates a gzip request body as its reader pulls it, instead of Quarkus' HTTP layer inflating each network read on
 * the event loop before anything counts it (64 KB of gzip could become 64 MB there before the limit's 413). The body
 * limits (JsonBodyLimit for JSON, LineReader for uploads) then count the inflated bytes as they are read, and no more
 * than the limit is ever inflated (docs/architecture.md, "Tokens": limits). Runs before JsonBodyLimit, so the count
 * wraps the inflated stream.
 */
@Provider
@Priority(Priorities.ENTITY_CODER)
public class GzipBodies implements ReaderInterceptor {

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        List<String> encodings = context.getHeaders().get(HttpHeaders.CONTENT_ENCODING);
        if (encodings != null && encodings.stream().anyMatch(e -> e.toLowerCase(Locale.ROOT).contains("gzip"))) {
            try {
                context.setInputStream(new GZIPInputStream(context.getInputStream(), 16 * 1024));
            } catch (ZipException e) {
                throw ProblemException.badRequest("the body is not valid gzip (Content-Encoding: gzip)");
            }
            context.getHeaders().remove(HttpHeaders.CONTENT_ENCODING);
        }
        return context.proceed();
    }
}
