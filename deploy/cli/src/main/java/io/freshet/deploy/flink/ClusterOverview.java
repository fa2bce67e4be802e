package io.freshet.deploy.flink;

/** What {@code GET /overview} tells about a Flink cluster. */
public record ClusterOverview(
    int taskManagers, int slotsTotal, int slotsAvailable, int jobsRunning, String flinkVersion) {}
