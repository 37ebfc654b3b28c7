package dev.portagent.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Medians and quantiles: robust to the odd run that another process on the machine slowed down. */
final class Stats {

    private Stats() {
    }

    static double median(List<Double> values) {
        return quantile(values, 0.5);
    }

    /** Linear interpolation between the closest ranks. */
    static double quantile(List<Double> values, double q) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        double rank = q * (sorted.size() - 1);
        int low = (int) Math.floor(rank);
        int high = (int) Math.ceil(rank);
        return sorted.get(low) + (sorted.get(high) - sorted.get(low)) * (rank - low);
    }

    /** Each value divided by the value at the same index: pairs taken side by side share the machine's state. */
    static List<Double> ratios(List<Double> values, List<Double> baseline) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < Math.min(values.size(), baseline.size()); i++) {
            ratios.add(values.get(i) / baseline.get(i));
        }
        return ratios;
    }

    /** Side by side (same index): each value less its baseline. */
    static List<Double> differences(List<Double> values, List<Double> baseline) {
        List<Double> differences = new ArrayList<>();
        for (int i = 0; i < Math.min(values.size(), baseline.size()); i++) {
            differences.add(values.get(i) - baseline.get(i));
        }
        return differences;
    }

    /** "1.023 (0.991-1.051)": the median ratio and the interquartile range of the pairwise ratios. */
    static String ratio(List<Double> ratios) {
        return String.format(Locale.ROOT, "%.3f (%.3f-%.3f)", median(ratios), quantile(ratios, 0.25),
                quantile(ratios, 0.75));
    }

    static String fixed(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    static double mean(List<Double> values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.size();
    }

    /** Half the width of the mean's 95 % confidence interval (normal approximation: for 30 values or more). */
    static double meanHalfInterval(List<Double> values) {
        double mean = mean(values);
        double squares = 0;
        for (double v : values) {
            squares += (v - mean) * (v - mean);
        }
        return 1.96 * Math.sqrt(squares / (values.size() - 1) / values.size());
    }
}
