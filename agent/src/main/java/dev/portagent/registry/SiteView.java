package dev.portagent.registry;

/** Ports opened from one line of code: ever, still open, and how many of them the OS chose. */
public record SiteView(String site, long opened, long open, long ephemeral) {
}
