using Mediator;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Engine;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Domain.Futures;

namespace TinkerServer.Application.Futures.RetrieveFuture;

/// <summary>
/// retrieve_future: the outcome of a queued request, waiting up to <see cref="EngineOptions.LongPollTimeout"/>
/// for it to finish. Unknown ids are a <see cref="NotFoundException"/>.
/// </summary>
public sealed record RetrieveFutureQuery(string RequestId) : IQuery<FutureOutcome>;

/// <summary>What retrieve_future answers; the Api maps each case to its wire shape.</summary>
public abstract record FutureOutcome(string RequestId);

/// <summary>Still queued or running after the long-poll: the Api answers 408 with the try_again body.</summary>
public sealed record FuturePending(string RequestId, RequestKind Kind) : FutureOutcome(RequestId);

/// <summary>Done: <see cref="ResultJson"/> is the stored canonical result (<see cref="FutureJson"/>) of a <see cref="Kind"/> request.</summary>
public sealed record FutureCompleted(string RequestId, RequestKind Kind, string ResultJson) : FutureOutcome(RequestId);

/// <summary>Failed: 200 with {error, category} on the wire.</summary>
public sealed record FutureFailed(string RequestId, RequestKind Kind, string Error, string Category) : FutureOutcome(RequestId);

public sealed class RetrieveFutureQueryHandler(
    IFutureRepository futures,
    IFutureCompletionHub completions,
    IOptions<EngineOptions> options) : IQueryHandler<RetrieveFutureQuery, FutureOutcome>
{
    public async ValueTask<FutureOutcome> Handle(RetrieveFutureQuery query, CancellationToken cancellationToken)
    {
        var future = await futures.FindAsync(query.RequestId, cancellationToken)
            ?? throw new NotFoundException($"Future '{query.RequestId}' not found.");
        if (future.IsDone)
        {
            return OutcomeOf(future);
        }

        // The hub wakes us when the request finishes (in this process directly, in another through its
        // shared poll); then read it again: the repository's reads are untracked, so this sees the commit.
        if (await completions.WaitAsync(future.Id, options.Value.LongPollTimeout, cancellationToken))
        {
            future = await futures.FindAsync(query.RequestId, cancellationToken) ?? future;
        }

        return OutcomeOf(future);
    }

    private static FutureOutcome OutcomeOf(FutureRequest future) => future.Status switch
    {
        FutureStatus.Completed => new FutureCompleted(future.Id, future.Kind, future.Result ?? "{}"),
        FutureStatus.Failed => new FutureFailed(future.Id, future.Kind, future.Error ?? "Request failed.", future.ErrorCategory ?? FailureCategory.Unknown),
        _ => new FuturePending(future.Id, future.Kind),
    };
}
