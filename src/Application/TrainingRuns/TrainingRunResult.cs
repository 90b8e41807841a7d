using TinkerServer.Application.Checkpoints;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.TrainingRuns;

public sealed record TrainingRunResult(
    string TrainingRunId,
    string BaseModel,
    string ModelOwner,
    bool IsLora,
    bool Corrupted,
    int? LoraRank,
    DateTimeOffset LastRequestTime,
    CheckpointResult? LastCheckpoint,
    CheckpointResult? LastSamplerCheckpoint,
    IReadOnlyDictionary<string, string>? UserMetadata)
{
    /// <param name="latest">The newest visible checkpoints of this run (any number of types).</param>
    public static TrainingRunResult From(TrainingRun run, IEnumerable<Checkpoint> latest)
    {
        var mine = latest.Where(c => c.TrainingRunId == run.Id).ToList();
        return new TrainingRunResult(
            run.Id.Value,
            run.BaseModel,
            run.Owner,
            IsLora: true,
            Corrupted: false,
            run.Lora.Rank,
            run.LastRequestTime.ToUniversalTime(),
            Newest(mine, CheckpointType.Training),
            Newest(mine, CheckpointType.Sampler),
            run.UserMetadata.Count == 0 ? null : run.UserMetadata);
    }

    private static CheckpointResult? Newest(IEnumerable<Checkpoint> checkpoints, CheckpointType type) =>
        checkpoints.Where(c => c.Type == type).OrderByDescending(c => c.Time).Select(CheckpointResult.From).FirstOrDefault();
}
