package be.audiencematch.identity;

/**
 * Recognises a Belgian national register number (rijksregisternummer / numéro de registre national): 11 digits
 * {@code YYMMDD SSS CC}, often written {@code YY.MM.DD-SSS.CC}, whose check number CC is 97 minus the first nine
 * digits modulo 97, or, for people born from 2000, 97 minus (2 followed by those nine digits) modulo 97.
 *
 * <p>The privacy rules forbid processing it (/work/shared/docs/privacy-rules.md): a subscriber or household id that
 * looks like one is refused rather than stored under a key. About one random 11-digit number in 50 passes the check;
 * an operator whose own ids are 11 digits long picks another form.
 */
public final class NationalRegisterNumber {

    private static final long BORN_FROM_2000 = 2_000_000_000L;
    /** {@code YY.MM.DD-SSS.CC}: 11 digits and at most 4 separators. */
    private static final int LONGEST_WRITTEN = 15;

    private NationalRegisterNumber() {
    }

    /** True when {@code id} is 11 digits, with or without dots, dashes or spaces, that pass the mod-97 check. */
    public static boolean looksLikeOne(CharSequence id) {
        if (id == null || id.length() < 11 || id.length() > LONGEST_WRITTEN) {
            return false;
        }
        long firstNine = 0;
        int check = 0;
        int digits = 0;
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c >= '0' && c <= '9') {
                digits++;
                if (digits <= 9) {
                    firstNine = firstNine * 10 + (c - '0');
                } else if (digits <= 11) {
                    check = check * 10 + (c - '0');
                } else {
                    return false;
                }
            } else if (c != '.' && c != '-' && c != ' ') {
                return false;
            }
        }
        return digits == 11
                && (97 - firstNine % 97 == check || 97 - (BORN_FROM_2000 + firstNine) % 97 == check);
    }

    /**
     * Why an id that looks like one is refused, {@code where} naming the id for the caller ("path 'householdId'");
     * never the id itself.
     */
    public static String refusal(String where) {
        return where + " looks like a national register number, which the privacy policy forbids processing";
    }

    /** The same for bytes of ASCII, as the bulk load reads them. */
    public static boolean looksLikeOne(byte[] b, int from, int to) {
        int length = to - from;
        if (length < 11 || length > LONGEST_WRITTEN) {
            return false;
        }
        StringBuilder chars = new StringBuilder(length);
        for (int i = from; i < to; i++) {
            chars.append((char) (b[i] & 0xff));
        }
        return looksLikeOne(chars);
    }
}
