using Mediator;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Common;

namespace TinkerServer.Application.Service.GetServerCapabilities;

public sealed record GetServerCapabilitiesQuery : IQuery<IReadOnlyList<BaseModelInfo>>;

/// <summary>The base models this server can load, the configured default first.</summary>
public sealed class GetServerCapabilitiesQueryHandler(ITrainingBackend backend, IOptions<EngineOptions> options)
    : IQueryHandler<GetServerCapabilitiesQuery, IReadOnlyList<BaseModelInfo>>
{
    public ValueTask<IReadOnlyList<BaseModelInfo>> Handle(GetServerCapabilitiesQuery query, CancellationToken cancellationToken)
    {
        var preferred = options.Value.DefaultBaseModel;
        IReadOnlyList<BaseModelInfo> models = backend.BaseModels
            .OrderBy(m => m.Name == preferred ? 0 : 1)
            .ToList();
        return ValueTask.FromResult(models);
    }
}
