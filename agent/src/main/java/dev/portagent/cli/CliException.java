package dev.portagent.cli;

/** Ends a command: its message is the one line for stderr, its code the exit status. */
final class CliException extends Exception {
    private static final long serialVersionUID = 1L;

    final int exitCode;

    CliException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }
}
