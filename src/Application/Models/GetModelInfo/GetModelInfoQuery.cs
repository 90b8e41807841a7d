using Mediator;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Models.GetModelInfo;

public sealed record GetModelInfoQuery(string ModelId) : IQuery<ModelInfoResult>;

public sealed record ModelInfoResult(string ModelId, string BaseModel, string Architecture, int LoraRank);

public sealed class GetModelInfoQueryHandler(ITrainingRunRepository runs, ICurrentCaller caller)
    : IQueryHandler<GetModelInfoQuery, ModelInfoResult>
{
    public async ValueTask<ModelInfoResult> Handle(GetModelInfoQuery query, CancellationToken cancellationToken)
    {
        var id = TrainingRunId.Parse(query.ModelId);
        var run = await runs.FindAsync(id, cancellationToken);
        if (run is null || run.Owner != caller.Owner)
        {
            throw new NotFoundException($"Model '{id}' not found.");
        }

        return new ModelInfoResult(run.Id.Value, run.BaseModel, "qwen3", run.Lora.Rank);
    }
}
