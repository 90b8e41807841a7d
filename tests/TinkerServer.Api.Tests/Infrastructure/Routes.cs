namespace TinkerServer.Api.Tests.Infrastructure;

/// <summary>Every route the tests call, in one place.</summary>
public static class Routes
{
    public const string Checkpoints = "/api/v1/checkpoints";
    public const string TrainingRuns = "/api/v1/training_runs";
    public const string WeightsInfo = "/api/v1/weights_info";

    public static string RunCheckpoints(object run) => $"/api/v1/training_runs/{run}/checkpoints";

    public static string ModelCheckpoints(object run) => $"/api/v1/models/{run}/checkpoints";

    public static string TrainingRun(object run) => $"/api/v1/training_runs/{run}";

    /// <summary>As the SDK builds it: the checkpoint id appended unencoded ("weights/NAME" is two segments).</summary>
    public static string Checkpoint(object run, string checkpointId) => $"/api/v1/training_runs/{run}/checkpoints/{checkpointId}";

    public static string Archive(object run, string checkpointId) => $"{Checkpoint(run, checkpointId)}/archive";
}
