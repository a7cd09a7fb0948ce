package be.audiencematch.support;

import java.util.Map;

/**
 * {@link TestEnvironment} with the privacy settings as shipped: differential privacy on, default ε and budget.
 * The privacy tests run on it, so that what they prove is what production does.
 */
public class PrivacyDefaultsEnvironment extends TestEnvironment {

    @Override
    public synchronized Map<String, String> start() {
        Map<String, String> config = super.start();
        config.remove("audience-match.privacy.epsilon");
        return config;
    }
}
