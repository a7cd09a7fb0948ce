package be.audiencematch.deploy;

import be.audiencematch.kernel.AudienceMatchConfig;
import io.smallrye.config.ConfigMappings;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/**
 * What the application says about itself, read from its sources: the settings and environment variables it reads
 * (application.properties, the code's configuration names), the ones production must be given, its ports, the
 * SmallRye Health paths, and the image name the build gives (pom.xml). The manifests must agree with these.
 */
record ApplicationFacts(Set<String> envNamesRead, Set<String> envPrefixesRead, Set<String> requiredInProd,
                        int httpPort, int managementPort, boolean managementEnabledInProd,
                        String livePath, String readyPath, String startedPath, String imageRepository,
                        String imageTag, String operationsDoc) {

    /** Variables read by something other than the application's configuration, each with who reads it. */
    static final Map<String, String> READ_OUTSIDE_CONFIG = Map.of(
            "JDK_JAVA_OPTIONS", "the java launcher",
            "QUARKUS_SHUTDOWN_TIMEOUT", "Quarkus core (quarkus.shutdown.timeout, graceful shutdown)");

    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)(?::([^}]*))?}");
    private static final Pattern CONFIG_NAME = Pattern.compile("(name|prefix)\\s*=\\s*\"([a-z][a-z0-9.-]*)\"");

    static ApplicationFacts read(Path project) throws Exception {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(project.resolve("src/main/resources/application.properties"))) {
            properties.load(reader);
        }
        Set<String> envNames = new TreeSet<>(READ_OUTSIDE_CONFIG.keySet());
        Set<String> prefixes = new TreeSet<>();
        Set<String> required = new TreeSet<>();
        for (String key : properties.stringPropertyNames()) {
            String value = properties.getProperty(key);
            String profile = key.startsWith("%") ? key.substring(1, key.indexOf('.')) : null;
            String bare = profile == null ? key : key.substring(key.indexOf('.') + 1);
            envNames.add(envName(bare));
            Matcher reference = ENV_REFERENCE.matcher(value);
            while (reference.find()) {
                envNames.add(reference.group(1));
                if ((profile == null || profile.equals("prod")) && !properties.containsKey("%prod." + bare)
                        && onlyForLocalRuns(reference.group(2))) {
                    required.add(reference.group(1));
                }
            }
        }
        try (Stream<Path> sources = Files.walk(project.resolve("src/main/java"))) {
            for (Path source : (Iterable<Path>) sources.filter(p -> p.toString().endsWith(".java"))::iterator) {
                Matcher name = CONFIG_NAME.matcher(Files.readString(source));
                while (name.find()) {
                    // The one mapping's root prefix (audience-match) would let any AUDIENCE_MATCH_ name pass: its keys
                    // are named one by one in application.properties instead.
                    if (name.group(1).equals("prefix") && name.group(2).equals("audience-match")) {
                        mappingKeys().forEach(key -> envNames.add(envName(key)));
                        continue;
                    }
                    (name.group(1).equals("prefix") ? prefixes : envNames).add(envName(name.group(2)));
                }
            }
        }
        Path pom = project.resolve("pom.xml");
        Map<String, String> pomProperties = pomProperties(pom);
        String group = pomProperties.get("quarkus.container-image.group");
        String name = pomProperties.get("quarkus.container-image.name");
        String tag = pomProperties.get("quarkus.container-image.tag");
        if (tag != null && tag.equals("${project.version}")) {
            tag = pomProperties.get("project.version");
        }
        String quarkus = pomProperties.get("quarkus.platform.version");
        Properties health = healthDefaults(quarkus);
        String root = "/" + properties.getProperty("quarkus.http.non-application-root-path", "q") + "/"
                + properties.getProperty("quarkus.smallrye-health.root-path", health.getProperty("root-path")) + "/";
        return new ApplicationFacts(envNames, prefixes, required,
                port(properties, "quarkus.http.port"), port(properties, "quarkus.management.port"),
                Boolean.parseBoolean(properties.getProperty("%prod.quarkus.management.enabled",
                        properties.getProperty("quarkus.management.enabled", "false"))),
                root + properties.getProperty("quarkus.smallrye-health.liveness-path", health.getProperty("liveness-path")),
                root + properties.getProperty("quarkus.smallrye-health.readiness-path", health.getProperty("readiness-path")),
                root + properties.getProperty("quarkus.smallrye-health.startup-path", health.getProperty("startup-path")),
                group == null || name == null ? null : group + "/" + name, tag,
                Files.readString(project.resolve("docs/operations.md")));
    }

    /** Every key of the one mapping, as SmallRye Config itself lists them (a map's key shows as {@code *}). */
    private static Set<String> mappingKeys() {
        Set<String> keys = new TreeSet<>();
        for (String key : ConfigMappings.getProperties(ConfigMappings.ConfigClass.configClass(AudienceMatchConfig.class,
                "audience-match")).keySet()) {
            keys.add(key);
        }
        return keys;
    }

    /** A default that only makes sense on a developer's machine (none, localhost, a .local file, a local issuer). */
    static boolean onlyForLocalRuns(String fallback) {
        return fallback == null || fallback.isBlank() || fallback.contains("localhost") || fallback.contains(".local/")
                || fallback.endsWith("-local");
    }

    /** SmallRye Config's environment variable for a property: every other character an underscore, upper case. */
    static String envName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase();
    }

    private static int port(Properties properties, String key) {
        Matcher reference = ENV_REFERENCE.matcher(properties.getProperty(key, ""));
        return Integer.parseInt(reference.matches() ? reference.group(2) : properties.getProperty(key));
    }

    /**
     * The health paths' defaults from the SmallRye Health extension's own configuration model (its deployment jar,
     * which every Quarkus build of the project resolves into the local Maven repository), not from a copy here.
     */
    private static Properties healthDefaults(String quarkusVersion) throws IOException {
        Path repository = Path.of(System.getProperty("maven.repo.local",
                System.getProperty("user.home") + "/.m2/repository"));
        Path jar = repository.resolve("io/quarkus/quarkus-smallrye-health-deployment/" + quarkusVersion
                + "/quarkus-smallrye-health-deployment-" + quarkusVersion + ".jar");
        if (!Files.exists(jar)) {
            throw new AssertionError("SmallRye Health's deployment jar is not in the local repository (" + jar
                    + "): build the project once (./mvnw package) so that Quarkus resolves it");
        }
        Properties defaults = new Properties();
        try (ZipFile zip = new ZipFile(jar.toFile());
             InputStream in = zip.getInputStream(zip.getEntry("META-INF/quarkus-config-doc/quarkus-config-model.json"))) {
            var model = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
            for (var property : model.findParents("defaultValue")) {
                String name = property.path("path").path("property").asText("");
                if (name.startsWith("quarkus.smallrye-health.") && name.endsWith("-path")) {
                    defaults.setProperty(name.substring("quarkus.smallrye-health.".length()),
                            property.get("defaultValue").asText());
                }
            }
        }
        for (String needed : Set.of("root-path", "liveness-path", "readiness-path", "startup-path")) {
            if (!defaults.containsKey(needed)) {
                throw new AssertionError("SmallRye Health's configuration model names no default for " + needed);
            }
        }
        return defaults;
    }

    /** pom.xml's properties, those of every profile too, and project.version. */
    private static Map<String, String> pomProperties(Path pom) throws Exception {
        var factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        var document = factory.newDocumentBuilder().parse(pom.toFile());
        Map<String, String> values = new HashMap<>();
        NodeList blocks = document.getElementsByTagName("properties");
        for (int i = 0; i < blocks.getLength(); i++) {
            NodeList children = blocks.item(i).getChildNodes();
            for (int j = 0; j < children.getLength(); j++) {
                if (children.item(j) instanceof Element property) {
                    values.putIfAbsent(property.getTagName(), property.getTextContent().trim());
                }
            }
        }
        NodeList top = document.getDocumentElement().getChildNodes();
        for (int i = 0; i < top.getLength(); i++) {
            if (top.item(i) instanceof Element element && element.getTagName().equals("version")) {
                values.put("project.version", element.getTextContent().trim());
            }
        }
        return values;
    }

    boolean reads(String env) {
        return envNamesRead.contains(env) || envPrefixesRead.stream().anyMatch(prefix -> env.startsWith(prefix + "_"));
    }
}
