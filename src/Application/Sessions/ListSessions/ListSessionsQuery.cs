using Mediator;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;

namespace TinkerServer.Application.Sessions.ListSessions;

public sealed record ListSessionsQuery(int? Limit, int? Offset) : IQuery<IReadOnlyList<string>>
{
    public int EffectiveLimit => Math.Clamp(Limit ?? 20, 1, 1000);

    public int EffectiveOffset => Math.Max(Offset ?? 0, 0);
}

public sealed class ListSessionsQueryHandler(ISessionRepository sessions, ICurrentCaller caller)
    : IQueryHandler<ListSessionsQuery, IReadOnlyList<string>>
{
    public async ValueTask<IReadOnlyList<string>> Handle(ListSessionsQuery query, CancellationToken cancellationToken)
    {
        var list = await sessions.ListAsync(caller.Owner, query.EffectiveOffset, query.EffectiveLimit, cancellationToken);
        return list.Select(s => s.Id.Value).ToList();
    }
}
