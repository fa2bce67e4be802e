package io.freshet.deploy.flink;

/**
 * What a job restored its state from, as {@code GET /jobs/{jobId}/checkpoints} reports it under
 * {@code latest.restored}.
 *
 * @param checkpointId the id of the restored checkpoint or savepoint
 * @param savepoint whether it was a savepoint
 * @param externalPath where it lies, e.g. {@code file:/data/savepoints/savepoint-1a2b3c-...}
 */
public record RestoredCheckpoint(long checkpointId, boolean savepoint, String externalPath) {}
