namespace TinkerServer.Domain.Checkpoints;

public enum CheckpointStatus
{
    Pending = 0,
    Completed = 1,
    Failed = 2,
}
