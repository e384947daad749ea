package org.pkilab.scenario;

import org.apache.commons.text.similarity.LevenshteinDistance;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * The valid value closest to a mistyped one, for "did you mean ...?" hints. Closeness is the number of
 * letters to insert, delete or change (Levenshtein distance, Apache Commons Text's), ignoring case; a value too far from every
 * candidate gets no hint, since a wild guess misleads more than it helps.
 *
 * <pre>{@code
 * NearestName.hint("Enrol", List.of("Read", "Write", "Enroll"));   // "; did you mean 'Enroll'?"
 * NearestName.hint("nonsense", List.of("Enabled", "Disabled"));    // ""
 * }</pre>
 */
public final class NearestName {

    private NearestName() {
    }

    /** The candidate nearest to {@code value}, if it is near enough to be what was meant. */
    public static Optional<String> of(String value, Collection<String> candidates) {
        String typed = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int d = LevenshteinDistance.getDefaultInstance().apply(typed, candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        if (best == null || bestDistance == 0) {
            return Optional.empty();
        }
        // a third of the candidate's letters may be wrong, and always one or two; or the word began right ("supplied")
        boolean near = bestDistance <= Math.max(2, best.length() / 3) || commonPrefix(typed, best.toLowerCase(Locale.ROOT)) >= 4;
        return near ? Optional.of(best) : Optional.empty();
    }

    /** {@code "; did you mean 'Enroll'?"}, or empty when no candidate is near. */
    public static String hint(String value, Collection<String> candidates) {
        return of(value, candidates).map(c -> "; did you mean '" + c + "'?").orElse("");
    }

    private static int commonPrefix(String a, String b) {
        int n = 0;
        while (n < a.length() && n < b.length() && a.charAt(n) == b.charAt(n)) {
            n++;
        }
        return n;
    }
}
