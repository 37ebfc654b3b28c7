package dev.portagent.options;

/** A bad agent option; {@link #getMessage()} is the one line to show on stderr. */
public final class OptionException extends Exception {
  private static final long serialVersionUID = 1L;

  public OptionException(String message) {
    // The message says everything; a stack trace would only bury it.
    super(message, null, false, false);
  }
}
