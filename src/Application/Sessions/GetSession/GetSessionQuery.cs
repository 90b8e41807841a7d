using Mediator;
using TinkerServer.Application.Abstractions.Persistence;

namespace TinkerServer.Application.Sessions.GetSession;

public sealed record GetSessionQuery(string SessionId) : IQuery<SessionResult>;

public sealed record SessionResult(IReadOnlyList<string> TrainingRunIds, IReadOnlyList<string> SamplerIds);

public sealed class GetSessionQueryHandler(
    SessionAccess access,
    ITrainingRunRepository runs,
    ISamplingSessionRepository samplers) : IQueryHandler<GetSessionQuery, SessionResult>
{
    public async ValueTask<SessionResult> Handle(GetSessionQuery query, CancellationToken cancellationToken)
    {
        var session = await access.GetAsync(query.SessionId, requireActive: false, cancellationToken);
        var sessionRuns = await runs.ListBySessionAsync(session.Id, cancellationToken);
        var sessionSamplers = await samplers.ListBySessionAsync(session.Id, cancellationToken);
        return new SessionResult(sessionRuns.Select(r => r.Id.Value).ToList(), sessionSamplers.Select(s => s.Id).ToList());
    }
}
