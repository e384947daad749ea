package org.pkilab.host;

/**
 * The Export Wizard's password page: a PFX with a private key needs a strong password (the guide: "specify
 * a strong password"). The lab asks for 8 characters from three of upper case, lower case, digits and
 * symbols, and says which is missing.
 */
final class PfxPassword {

    private PfxPassword() {
    }

    static void check(char[] password) {
        if (password == null || password.length < 8) {
            throw new IllegalArgumentException("the PFX password is too weak: use at least 8 characters");
        }
        String text = new String(password);
        int groups = (text.chars().anyMatch(Character::isUpperCase) ? 1 : 0) + (text.chars().anyMatch(Character::isLowerCase) ? 1 : 0)
                + (text.chars().anyMatch(Character::isDigit) ? 1 : 0) + (text.chars().anyMatch(c -> !Character.isLetterOrDigit(c)) ? 1 : 0);
        if (groups < 3) {
            throw new IllegalArgumentException("the PFX password is too weak: mix three of upper case, lower case, digits and symbols");
        }
    }
}
