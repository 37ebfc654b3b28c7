package dev.portagent.registry;

/** Something a user should look at; {@code port} is 0 when the warning is not about one port. */
public record Warning(String type, String message, int port) {

    public static final String FIXED_PORT_IN_EPHEMERAL_RANGE = "FIXED_PORT_IN_EPHEMERAL_RANGE";
    public static final String LEGACY_SOCKET_IMPL = "LEGACY_SOCKET_IMPL";
    public static final String AGENT_ERROR = "AGENT_ERROR";
    public static final String RECONCILE_UNAVAILABLE = "RECONCILE_UNAVAILABLE";
}
