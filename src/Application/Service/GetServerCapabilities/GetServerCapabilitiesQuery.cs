using Mediator;
using TinkerServer.Application.Abstractions.Compute;

namespace TinkerServer.Application.Service.GetServerCapabilities;

public sealed record GetServerCapabilitiesQuery : IQuery<IReadOnlyList<BaseModelInfo>>;

/// <summary>The base models this server can load; the backend lists the configured default first.</summary>
public sealed class GetServerCapabilitiesQueryHandler(ITrainingBackend backend)
    : IQueryHandler<GetServerCapabilitiesQuery, IReadOnlyList<BaseModelInfo>>
{
    public ValueTask<IReadOnlyList<BaseModelInfo>> Handle(GetServerCapabilitiesQuery query, CancellationToken cancellationToken) =>
        ValueTask.FromResult(backend.BaseModels);
}
