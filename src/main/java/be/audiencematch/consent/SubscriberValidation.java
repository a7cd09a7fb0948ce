package be.audiencematch.consent;

import be.audiencematch.consent.SubscriberApi.ConsentFlags;
import be.audiencematch.consent.SubscriberApi.Identifier;
import be.audiencematch.identity.HashedIdentifier;
import be.audiencematch.identity.HashedRows;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.identity.NationalRegisterNumber;
import be.audiencematch.kernel.OperatorIds;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks a subscriber from the feed and builds the domain value. A failure names the field, never its value.
 */
public final class SubscriberValidation {

    /** Thrown with the field at fault and a reason fit for a client. */
    public static final class Invalid extends RuntimeException {
        public Invalid(String reason) {
            super(reason, null, false, false);
        }
    }

    private SubscriberValidation() {
    }

    /** Checks an id where {@code where} names it for the caller ("field 'subscriber_id'", "path 'subscriberId'"). */
    public static void checkSubscriberId(String id, String where) {
        if (!OperatorIds.isSubscriberOrHouseholdId(id)) {
            throw new Invalid(where + " must be 1-128 characters of A-Z a-z 0-9 . _ : -");
        }
        refuseNationalNumber(id, where);
    }

    /** The privacy policy forbids processing a national register number, even as an opaque id. */
    public static void refuseNationalNumber(String id, String where) {
        if (NationalRegisterNumber.looksLikeOne(id)) {
            throw new Invalid(NationalRegisterNumber.refusal(where));
        }
    }

    /** Named only when something is wrong: a bulk load checks millions of identifiers. */
    private static String field(int i) {
        return "identifiers[" + i + "]";
    }

    public static Subscriber toSubscriber(String id, String idWhere, List<Identifier> identifiers,
                                          String householdId, ConsentFlags consents) {
        checkSubscriberId(id, idWhere);
        if (householdId != null && !OperatorIds.isSubscriberOrHouseholdId(householdId)) {
            throw new Invalid("field 'household_id' must be 1-128 characters of A-Z a-z 0-9 . _ : -");
        }
        if (householdId != null) {
            refuseNationalNumber(householdId, "field 'household_id'");
        }
        List<Identifier> given = identifiers == null ? List.of() : identifiers;
        if (given.size() > SubscriberStore.MAX_IDENTIFIERS) {
            throw new Invalid("field 'identifiers' holds more than " + SubscriberStore.MAX_IDENTIFIERS + " entries");
        }
        List<HashedIdentifier> hashed = new ArrayList<>(given.size());
        for (int i = 0; i < given.size(); i++) {
            Identifier identifier = given.get(i);
            if (identifier == null) {
                throw new Invalid("field '" + field(i) + "' is null");
            }
            IdentifierType type = IdentifierType.fromWireName(identifier.type()).orElse(null);
            if (type == null) {
                throw new Invalid("field '" + field(i) + ".type' must be email_sha256 or phone_sha256");
            }
            String value = identifier.value();
            if (value == null || !HashedRows.isDigestHex(value)) {
                throw new Invalid(value != null && HashedRows.looksLikePlainText(value)
                        ? "field '" + field(i) + ".value' looks like a clear-text identifier; send its SHA-256 (64 hex)"
                        : "field '" + field(i) + ".value' must be 64 hex characters (SHA-256)");
            }
            hashed.add(HashedIdentifier.ofHex(type, value.strip()));
        }
        ConsentFlags flags = consents == null ? new ConsentFlags(null, null, null) : consents;
        return new Subscriber(id, hashed, householdId, Consents.of(flags.tv(), flags.web(), flags.adsAndData()));
    }
}
