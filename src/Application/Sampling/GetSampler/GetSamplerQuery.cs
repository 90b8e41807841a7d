using Mediator;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;

namespace TinkerServer.Application.Sampling.GetSampler;

public sealed record GetSamplerQuery(string SamplerId) : IQuery<SamplerResult>;

public sealed class GetSamplerQueryHandler(ISamplingSessionRepository samplers, ISessionRepository sessions, ICurrentCaller caller)
    : IQueryHandler<GetSamplerQuery, SamplerResult>
{
    public async ValueTask<SamplerResult> Handle(GetSamplerQuery query, CancellationToken cancellationToken)
    {
        var sampler = await samplers.FindAsync(query.SamplerId, cancellationToken);
        var session = sampler is null ? null : await sessions.FindAsync(sampler.SessionId, cancellationToken);
        if (sampler is null || session is null || session.Owner != caller.Owner)
        {
            throw new NotFoundException($"Sampler '{query.SamplerId}' not found.");
        }

        return new SamplerResult(sampler.Id, sampler.BaseModel, sampler.ModelPath?.TinkerPath);
    }
}
