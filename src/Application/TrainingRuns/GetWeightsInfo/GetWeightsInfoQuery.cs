using Mediator;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Application.TrainingRuns.GetWeightsInfo;

/// <summary>What a checkpoint needs to be resumed: its run's base model and LoRA settings.</summary>
public sealed record GetWeightsInfoQuery(string TinkerPath) : IQuery<WeightsInfoResult>;

public sealed record WeightsInfoResult(
    string BaseModel,
    bool IsLora,
    int? LoraRank,
    bool? TrainUnembed,
    bool? TrainMlp,
    bool? TrainAttn);

public sealed class GetWeightsInfoQueryHandler(
    ITrainingRunRepository runs,
    ICheckpointRepository checkpoints,
    ICurrentCaller caller,
    TimeProvider time) : IQueryHandler<GetWeightsInfoQuery, WeightsInfoResult>
{
    public async ValueTask<WeightsInfoResult> Handle(GetWeightsInfoQuery query, CancellationToken cancellationToken)
    {
        // Both kinds are accepted: the CLI's push-hf asks about sampler paths too.
        var path = CheckpointPath.ParseTinkerPath(query.TinkerPath);
        var run = await runs.FindAsync(path.TrainingRunId, cancellationToken);
        var checkpoint = run is null ? null : await checkpoints.FindAsync(path, cancellationToken);
        if (run is null || checkpoint is null || !checkpoint.IsVisible(time.GetUtcNow()) ||
            (run.Owner != caller.Owner && !checkpoint.IsPublic))
        {
            throw new NotFoundException($"Checkpoint {path} not found.");
        }

        return new WeightsInfoResult(run.BaseModel, true, run.Lora.Rank, run.Lora.TrainUnembed, run.Lora.TrainMlp, run.Lora.TrainAttn);
    }
}
