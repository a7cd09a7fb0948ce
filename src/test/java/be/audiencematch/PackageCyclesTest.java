package be.audiencematch;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packages of be.audiencematch depend on each other one way (docs/architecture.md, "Packages"): a cycle makes
 * two rooms one in all but name. Read from the sources' references to {@code be.audiencematch.<package>.}, imports
 * and qualified names alike; no library needed.
 */
class PackageCyclesTest {

    private static final Path MAIN = Path.of("src/main/java/be/audiencematch");
    private static final Pattern REFERENCE = Pattern.compile("be\\.audiencematch\\.([a-z]+)\\.");

    @Test
    void noPackageCycles() throws IOException {
        Map<String, Set<String>> uses = dependencies();
        assertTrue(uses.containsKey("redis") && uses.containsKey("changes"), "the scan found the packages");
        List<Set<String>> cycles = stronglyConnected(uses).stream().filter(c -> c.size() > 1).toList();
        assertEquals(List.of(), cycles, "package cycles (each a set of packages that reach each other)");
    }

    @Test
    void redisIsTheClientOnly() throws IOException {
        // redis/ runs the Lettuce client and scripts; nothing in it knows a domain package.
        Set<String> redisUses = dependencies().getOrDefault("redis", Set.of());
        assertTrue(Set.of("kernel").containsAll(redisUses), "redis/ depends on " + redisUses);
    }

    @Test
    void onlyTheChangeLogsOwnPackageWaitsForTheViews() throws IOException {
        // Writers wait through changes/SettledWrites, which their stores use: a service that called settled() by
        // hand would be a write path that could forget it (docs/architecture.md, "Leases, and why the promise holds").
        List<String> callers = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                if (!file.getParent().endsWith("changes") && Files.readString(file).contains(".settled()")) {
                    callers.add(MAIN.relativize(file).toString());
                }
            }
        }
        assertEquals(List.of(), callers);
    }

    private static Map<String, Set<String>> dependencies() throws IOException {
        Map<String, Set<String>> uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String own = MAIN.relativize(file.getParent()).toString().replace('/', '.');
                Set<String> used = uses.computeIfAbsent(own, p -> new TreeSet<>());
                Matcher m = REFERENCE.matcher(Files.readString(file));
                while (m.find()) {
                    if (!m.group(1).equals(own)) {
                        used.add(m.group(1));
                    }
                }
            }
        }
        return uses;
    }

    /** Tarjan's strongly connected components. */
    private static List<Set<String>> stronglyConnected(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> components = new ArrayList<>();
        int[] next = {0};
        for (String v : graph.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, graph, index, low, stack, onStack, components, next);
            }
        }
        return components;
    }

    private static void connect(String v, Map<String, Set<String>> graph, Map<String, Integer> index,
                                Map<String, Integer> low, Deque<String> stack, Set<String> onStack,
                                List<Set<String>> components, int[] next) {
        index.put(v, next[0]);
        low.put(v, next[0]++);
        stack.push(v);
        onStack.add(v);
        for (String w : graph.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, graph, index, low, stack, onStack, components, next);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            components.add(component);
        }
    }
}
