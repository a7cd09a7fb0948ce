package be.audiencematch.deploy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each check of ManifestsTest fails when its defence is broken: the prod overlay's rendered YAML, with one mistake put
 * in, must produce the problem that names it (and the unbroken render none).
 */
class ManifestCheckersTest {

    private static final Path PROJECT = Path.of("").toAbsolutePath();
    private static ApplicationFacts app;
    private static String prod;

    @BeforeAll
    static void render() throws Exception {
        app = ApplicationFacts.read(PROJECT);
        prod = RenderedManifests.render(PROJECT.resolve("k8s/overlays/prod"));
    }

    @Test
    void theRenderAsItIsHasNoProblem() {
        assertEquals(List.of(), problems(prod));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a misspelt field is kept aside by the model, and found    | '        readinessProbe:'                 | '        readinesProbe:'                    | unknown field(s) [readinesProbe]
            a quantity that does not parse                           | 'memory: 1536Mi'                         | 'memory: 1536Mx'                           | not a quantity
            an apiVersion the kind does not have                     | 'apiVersion: apps/v1\\nkind: Deployment'  | 'apiVersion: apps/v2\\nkind: Deployment'     | is not a Kubernetes kind the model knows
            a ServiceMonitor field its CRD does not have              | '  endpoints:'                           | '  endpoint:'                              | not a ServiceMonitor spec
            a selector that misses the pod template                  | '    matchLabels:\\n      app: audience-match\\n  strategy' | '    matchLabels:\\n      app: audience-matc\\n  strategy' | spec.selector does not select
            a Service that selects nothing                           | '    targetPort: http\\n  selector:\\n    app: audience-match' | '    targetPort: http\\n  selector:\\n    app: nothing' | selects no workload
            a root filesystem left writable                          | 'readOnlyRootFilesystem: true'           | 'readOnlyRootFilesystem: false'            | needs readOnlyRootFilesystem
            a service-account token mounted                          | 'automountServiceAccountToken: false'    | 'automountServiceAccountToken: true'       | automountServiceAccountToken must be false
            a Secret key no documented command creates               | '          - key: ca.crt'                | '          - key: ca.pem'                   | key ca.pem is used but its documented command does not create it
            a Secret no document tells how to create                 | 'name: audience-match-redis\\n        envFrom' | 'name: audience-match-redis-url\\n        envFrom' | has no `kubectl create secret generic audience-match-redis-url` command
            a probe on the API port                                  | '            path: /q/health/ready\\n            port: management' | '            path: /q/health/ready\\n            port: http' | readinessProbe port http is not the management port 9000
            a probe path SmallRye Health does not serve               | 'path: /q/health/started'                | 'path: /q/health/startup'                  | startupProbe path /q/health/startup is not SmallRye Health's /q/health/started
            a management port the probes do not use                  | 'QUARKUS_MANAGEMENT_PORT: "9000"'        | 'QUARKUS_MANAGEMENT_PORT: "9001"'          | is not the management port 9001
            a variable the application does not read                 | 'AUDIENCE_MATCH_DP_BUDGET: "10"'         | 'AUDIENCE_MATCH_DP_BUGDET: "10"'           | variable AUDIENCE_MATCH_DP_BUGDET is not one the application reads
            a setting production needs left out                      | '  AUDIENCE_MATCH_JWT_ISSUER: https://idp.operator.example/realms/audience-match\\n' | '' | production needs AUDIENCE_MATCH_JWT_ISSUER
            a key file outside any mounted volume                    | 'AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE: /etc/audience-match/keys/' | 'AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE: /etc/audience-match/key/' | is under no mounted volume
            a key file its Secret volume does not give                | '- key: pseudonym-keys.json\\n            path: pseudonym-keys.json' | '- key: pseudonym-keys.json\\n            path: ring.json' | does not give pseudonym-keys.json
            plain-text Redis allowed                                 | 'AUDIENCE_MATCH_REDIS_ALLOW_PLAINTEXT: "false"' | 'AUDIENCE_MATCH_REDIS_ALLOW_PLAINTEXT: "true"' | AUDIENCE_MATCH_REDIS_ALLOW_PLAINTEXT must be
            a key prefix without a hash tag on a cluster              | 'AUDIENCE_MATCH_REDIS_KEY_PREFIX: ''{am}:''' | 'AUDIENCE_MATCH_REDIS_KEY_PREFIX: "am:"' | needs a hash tag
            an image the build does not make                         | 'audiencematch/audience-match:0.1.0-SNAPSHOT' | 'audiencematch/audience-match:latest' | is not the build's image
            a termination grace shorter than the shutdown            | 'terminationGracePeriodSeconds: 30'      | 'terminationGracePeriodSeconds: 20'        | does not exceed preStop 5 s + QUARKUS_SHUTDOWN_TIMEOUT 20 s
            Redis without AOF                                        | 'appendonly yes'                         | 'appendonly no'                            | redis.conf lacks "appendonly yes"
            an alert rule with a field its CRD does not have          | '      for: 2m'                           | '      during: 2m'                         | not a PrometheusRule spec
            an alert on a metric the service does not have            | 'expr: audience_match_eligibility_view_serving == 0' | 'expr: audience_match_eligibility_view_up == 0' | reads audience_match_eligibility_view_up
            a Redis maxmemory above its memory limit                  | '- --maxmemory\\n        - 3gb'          | '- --maxmemory\\n        - 7gb'             | is not under its memory limit
            """)
    void aBrokenManifestIsFound(String mistake, String from, String to, String expected) {
        String broken = breakOnce(prod, unescape(from), unescape(to));
        List<String> found = problems(broken);
        assertTrue(found.stream().anyMatch(problem -> problem.contains(expected)),
                mistake + ": expected a problem containing \"" + expected + "\", got " + found);
    }

    @Test
    void aSecretObjectInTheManifestsIsRefused() {
        String withSecret = prod + "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: audience-match-redis\n"
                + "stringData:\n  AUDIENCE_MATCH_REDIS_URL: rediss://audience-match:PASSWORD@audience-match-redis:6379\n";
        assertTrue(problems(withSecret).stream().anyMatch(p -> p.contains("a Secret in the manifests would overwrite")));
    }

    private static List<String> problems(String yaml) {
        List<HasMetadata> objects = RenderedManifests.parse(yaml);
        List<String> problems = new ArrayList<>();
        problems.addAll(ModelValidator.validate(objects));
        problems.addAll(ReferenceChecks.check(objects, app.operationsDoc()));
        problems.addAll(ApplicationAgreement.check(objects, app));
        problems.addAll(ManifestsTest.redisCluster(objects));
        problems.addAll(ReferenceChecks.alertMetrics(objects, ManifestsTest.architectureDoc()));
        return problems;
    }

    private static String breakOnce(String yaml, String from, String to) {
        int at = yaml.indexOf(from);
        assertTrue(at >= 0, "the render no longer contains: " + from);
        String broken = yaml.substring(0, at) + to + yaml.substring(at + from.length());
        assertNotEquals(yaml, broken);
        return broken;
    }

    private static String unescape(String text) {
        return text.replace("\\n", "\n");
    }
}
