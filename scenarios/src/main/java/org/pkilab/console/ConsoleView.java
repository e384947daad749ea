package org.pkilab.console;

/**
 * One console of the lab in the browser (Active Directory Users and Computers, Certificate Templates, Certification
 * Authority, a computer's Certificates snap-in, the run): it answers the paths under its {@link #prefix()}. Every
 * read and action goes through the signed-in account's own connections ({@link ConsoleSession}), never the lab's
 * Administrator, so the DC and the CA decide what an account sees and may do; a view hides the actions the account's
 * token cannot take, and the service behind it still refuses them when forged.
 */
interface ConsoleView {

    /** The first path segment this view answers, with its slash ({@code /ca}). */
    String prefix();

    /** The navigation entry's text, or null for a view with no entry of its own. */
    String title();

    /** Answers a GET or (with a checked anti-forgery token) a POST under {@link #prefix()}. */
    ConsoleAnswer answer(ConsoleRequest request) throws Exception;
}
