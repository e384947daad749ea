package org.pkilab.directory.model;

import java.security.SecureRandom;

/**
 * The default domain password policy's complexity rule: at least 7 characters from three of the four
 * groups upper case, lower case, digits and symbols. Like Windows it refuses before anything is written.
 */
public final class PasswordPolicy {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    private PasswordPolicy() {
    }

    /** Throws with the account named when {@code password} breaks the policy. */
    public static void check(String account, String password) {
        if (password == null || password.length() < 7) {
            throw new IllegalArgumentException("password for " + account
                    + " does not meet the domain's complexity requirements: at least 7 characters");
        }
        int groups = 0;
        groups += password.chars().anyMatch(Character::isUpperCase) ? 1 : 0;
        groups += password.chars().anyMatch(Character::isLowerCase) ? 1 : 0;
        groups += password.chars().anyMatch(Character::isDigit) ? 1 : 0;
        groups += password.chars().anyMatch(c -> !Character.isLetterOrDigit(c)) ? 1 : 0;
        if (groups < 3) {
            throw new IllegalArgumentException("password for " + account + " does not meet the domain's complexity "
                    + "requirements: use three of upper case, lower case, digits and symbols");
        }
    }

    /** A random password that meets the policy: 20 characters plus a digit, a symbol and both cases. */
    public static String generate() {
        StringBuilder password = new StringBuilder("Aa1!");
        for (int i = 0; i < 20; i++) {
            password.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return password.toString();
    }
}
