package be.audiencematch.kernel;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

/** Words for Jackson's failures that point at the place, never at the value. */
public final class JsonProblems {
    private JsonProblems() {
    }

    public static String describe(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            return "unknown field '" + path(u) + "'";
        }
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof StreamConstraintsException) {
                // Possibly wrapped by a deserializer. Its message is worded for developers.
                return t.getMessage() != null && t.getMessage().contains("nesting depth")
                        ? "JSON nested more deeply than allowed" : "the JSON body exceeds a parser limit";
            }
        }
        if (e instanceof JsonParseException || !(e instanceof JsonMappingException)) {
            JsonLocation at = e.getLocation();
            return at == null ? "malformed JSON"
                    : "malformed JSON at line " + at.getLineNr() + ", column " + at.getColumnNr();
        }
        JsonMappingException m = (JsonMappingException) e;
        String path = path(m);
        return path.isEmpty() ? "the body does not have the expected shape"
                : "field '" + path + "' is missing or has the wrong type";
    }

    public static String path(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.toString();
    }
}
