namespace TinkerServer.Domain.TrainingRuns;

public enum TrainingRunStatus
{
    Active = 0,
    Unloaded = 1,
}
