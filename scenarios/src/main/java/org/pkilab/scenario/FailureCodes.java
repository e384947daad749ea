package org.pkilab.scenario;

import org.pkilab.windows.WindowsError;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The codes a failed step carries, as a Windows administrator would look them up: an HRESULT and its
 * {@code winerror.h} name ({@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED}, {@code 0x800B010F CERT_E_CN_NO_MATCH},
 * {@code 0x8009000B NTE_BAD_KEY_STATE}), a request disposition ({@code CR_DISP_UNDER_SUBMISSION}), an LDAP
 * result ({@code LDAP 68}), an IIS status ({@code 403.7}) or an autoenrollment policy value ({@code AEPolicy 0}).
 *
 * <p>A scenario's {@code expect: {error: CODE}} holds when the failure carries CODE as one of these values:
 * {@code 0x80094012} and {@code CERTSRV_E_TEMPLATE_DENIED} both match a template denial, {@code LDAP 6} does
 * not match {@code LDAP 68}, and words of the message ("denied") match nothing. Text is matched only where
 * the scenario asks for it ({@code message:}).
 *
 * <p>The Windows errors the lab raises are {@link WindowsError}'s: for those the HRESULT and the name are
 * one code, whichever of the two the failure and the expectation write ({@code E_ACCESSDENIED} matches a
 * failure that says {@code 0x80070005}). Other names in {@code winerror.h}'s style, request dispositions,
 * LDAP results, IIS statuses and AEPolicy values are recognized by their form.
 */
public final class FailureCodes {

    private static final Pattern HRESULT = Pattern.compile("\\b0x[0-9A-Fa-f]{8}\\b");
    /** winerror.h and certcli.h naming: FACILITY_E_*, NTE_*, CR_DISP_*, ERROR_*; {@link WindowsError}'s own names besides. */
    private static final Pattern NAME = Pattern.compile("\\b(?:[A-Z][A-Z0-9]*_E_[A-Z0-9_]+|NTE_[A-Z0-9_]+|CR_DISP_[A-Z_]+|ERROR_[A-Z0-9_]+)\\b");
    private static final Pattern HEX_THEN_NAME = Pattern.compile("\\b(0x[0-9A-Fa-f]{8})\\s+(" + NAME.pattern() + ")");
    private static final Pattern NAME_THEN_HEX = Pattern.compile("(" + NAME.pattern() + ")\\s*\\((0x[0-9A-Fa-f]{8})\\)");
    /** A word that may be one of {@link WindowsError}'s names ({@code E_ACCESSDENIED} has no facility). */
    private static final Pattern WORD = Pattern.compile("\\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\\b");
    private static final Pattern DISPOSITION = Pattern.compile("CR_DISP_[A-Z_]+ \\(\\d\\)( [A-Z][a-z]+(?: [A-Za-z]+)*)?");
    private static final Pattern AE_POLICY = Pattern.compile("\\bAEPolicy (0x[0-9A-Fa-f]+|\\d+)\\b");
    /** UnboundID names LDAP results in lower-case words: "LDAP 68 entry already exists". */
    private static final Pattern LDAP = Pattern.compile("\\bLDAP (\\d+)( [a-z]+(?: [a-z]+)*)?");
    private static final Pattern HTTP = Pattern.compile("\\bHTTP (\\d{3}(?:\\.\\d+)?)( [A-Z][a-z]+(?: [a-z]+)* required)?");

    /** What {@code expect: {error: ...}} accepts. */
    public static final String FORMS = "an HRESULT (0x80094012) or its name (CERTSRV_E_TEMPLATE_DENIED, CERT_E_CN_NO_MATCH, "
            + "NTE_BAD_KEY_STATE, E_ACCESSDENIED, CR_DISP_UNDER_SUBMISSION), an LDAP result (LDAP 50), an IIS status (403.7) or AEPolicy <value>";

    private FailureCodes() {
    }

    /** The code the narration shows for a failure, such as {@code 0x800B010F CERT_E_CN_NO_MATCH}, or null. */
    public static String primary(String failure) {
        if (failure == null) {
            return null;
        }
        Matcher hexName = HEX_THEN_NAME.matcher(failure);
        Matcher nameHex = NAME_THEN_HEX.matcher(failure);
        boolean a = hexName.find();
        boolean b = nameHex.find();
        if (a || b) {
            return a && (!b || hexName.start() <= nameHex.start()) ? hexName.group(1) + " " + hexName.group(2)
                    : nameHex.group(2) + " " + nameHex.group(1);
        }
        Optional<WindowsError> known = WindowsError.find(failure);
        if (known.isPresent()) {
            return known.get().toString();
        }
        Matcher hex = HRESULT.matcher(failure);
        if (hex.find()) {
            return hex.group();
        }
        Matcher disposition = DISPOSITION.matcher(failure);
        if (disposition.find()) {
            return disposition.group();
        }
        Matcher policy = AE_POLICY.matcher(failure);
        if (policy.find()) {
            long aePolicy = value(policy.group(1));
            return policy.group() + (aePolicy == 0 ? " (autoenrollment not enabled)" : (aePolicy & 0x8000) != 0 ? " (autoenrollment disabled)" : "");
        }
        Matcher ldap = LDAP.matcher(failure);
        if (ldap.find()) {
            return ldap.group().trim();
        }
        Matcher http = HTTP.matcher(failure);
        return http.find() ? http.group().trim() : null;
    }

    /** Every code in the failure, normalized as {@link #normalize} does. */
    public static Set<String> all(String failure) {
        Set<String> codes = new LinkedHashSet<>();
        if (failure == null) {
            return codes;
        }
        for (Pattern p : new Pattern[]{HRESULT, NAME, WORD}) {
            Matcher m = p.matcher(failure);
            while (m.find()) {
                Optional<WindowsError> known = WindowsError.find(m.group());
                if (p != WORD || known.isPresent()) {
                    codes.add(m.group().toUpperCase(Locale.ROOT));
                }
                // a Windows error is one code by its HRESULT or its name
                known.ifPresent(e -> {
                    codes.add(e.code().toUpperCase(Locale.ROOT));
                    codes.add(e.symbolicName());
                });
            }
        }
        Matcher policy = AE_POLICY.matcher(failure);
        while (policy.find()) {
            codes.add("AEPOLICY " + value(policy.group(1)));
        }
        Matcher ldap = LDAP.matcher(failure);
        while (ldap.find()) {
            codes.add("LDAP " + Integer.parseInt(ldap.group(1)));
        }
        Matcher http = HTTP.matcher(failure);
        while (http.find()) {
            codes.add(http.group(1));
        }
        return codes;
    }

    /**
     * The code a scenario expects, in the form {@link #all} gives ({@code "0X80094012"}, {@code "LDAP 68"},
     * {@code "403.7"}), or empty when {@code expected} is not a code at all (it is text: use {@code message:}).
     */
    public static Optional<String> normalize(String expected) {
        String e = expected == null ? "" : expected.trim();
        if (e.matches("0[xX][0-9A-Fa-f]{8}")) {
            return Optional.of(e.toUpperCase(Locale.ROOT));
        }
        String upper = e.toUpperCase(Locale.ROOT);
        if (NAME.matcher(upper).matches() || WORD.matcher(upper).matches() && WindowsError.find(upper).isPresent()) {
            return Optional.of(upper);
        }
        Matcher ldap = Pattern.compile("(?i)LDAP\\s+(\\d{1,3})").matcher(e);
        if (ldap.matches()) {
            return Optional.of("LDAP " + Integer.parseInt(ldap.group(1)));
        }
        Matcher http = Pattern.compile("(?i)(?:HTTP\\s+)?(\\d{3}(?:\\.\\d+)?)").matcher(e);
        if (http.matches()) {
            return Optional.of(http.group(1));
        }
        Matcher policy = Pattern.compile("(?i)AEPolicy\\s+(0x[0-9A-Fa-f]{1,8}|\\d{1,10})").matcher(e);
        if (policy.matches()) {
            return Optional.of("AEPOLICY " + value(policy.group(1)));
        }
        return Optional.empty();
    }

    private static long value(String number) {
        return number.startsWith("0x") || number.startsWith("0X") ? Long.parseLong(number.substring(2), 16) : Long.parseLong(number);
    }
}
