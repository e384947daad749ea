package org.pkilab.console;

import org.pkilab.lab.Lab;

/**
 * What every view reads besides the session: the lab the console shows now (a lesson rerun in step mode replaces it
 * with a fresh one), the scenario run it follows, if any, and the live-update channel.
 */
final class ConsoleContext {

    private volatile Lab lab;
    private final LabRun run;
    private final LiveEvents events;

    ConsoleContext(Lab lab, LabRun run, LiveEvents events) {
        this.lab = lab;
        this.run = run;
        this.events = events;
    }

    Lab lab() {
        return lab;
    }

    void lab(Lab now) {
        this.lab = now;
        events.publish("*");
    }

    /** The run the console follows ({@code pkilab run --console}), or null ({@code pkilab up}). */
    LabRun run() {
        return run;
    }

    LiveEvents events() {
        return events;
    }
}
