package dev.portagent.e2e;

import java.util.List;

/** Reads a child's {@code -Xlog:class+load=info:file=...}. */
public final class ClassLog {

    private ClassLog() {
    }

    /** The line where the class was loaded; fails if it never was. */
    public static int indexOf(List<String> classLog, String className) {
        for (int i = 0; i < classLog.size(); i++) {
            if (classLog.get(i).contains("] " + className + " source: ")) {
                return i;
            }
        }
        throw new AssertionError(className + " was never loaded");
    }
}
