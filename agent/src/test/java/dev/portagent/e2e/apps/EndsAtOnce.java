package dev.portagent.e2e.apps;

/** Child application that ends as soon as it starts, opening no socket: often before the agent's own thread has run. */
public final class EndsAtOnce {

    public static void main(String[] args) {
    }
}
