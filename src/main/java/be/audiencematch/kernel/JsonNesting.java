package be.audiencematch.kernel;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/** Bounds how deeply a JSON body may nest (kernel/Limits), far below Jackson's own default of 1000. */
@Singleton
public class JsonNesting implements ObjectMapperCustomizer {

    private final Limits limits;

    public JsonNesting(Limits limits) {
        this.limits = limits;
    }

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(limits.jsonNestingDepth()).build());
    }
}
