package dev.portagent.e2e.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** Child application that opens no socket at all: whatever socket its JVM holds is someone else's. */
public final class HarmIdle {

    public static void main(String[] args) throws Exception {
        System.out.println("READY");
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    }
}
