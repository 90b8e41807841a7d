using TinkerServer.Domain.Futures;

namespace TinkerServer.Application.Abstractions.Engine;

/// <summary>
/// The engine's side of the durable queue in the database. Claims are atomic (a conditional update), so
/// several workers may share one database and a request is executed once.
/// </summary>
public interface IRequestQueue
{
    /// <summary>
    /// Claims the next runnable work item: the oldest request whose run has nothing running and whose
    /// seq_id is next in line, together with the forward/forward_backward requests of that run that directly
    /// follow it (same loss function), up to <paramref name="maxBatch"/>. Empty when nothing is runnable.
    /// </summary>
    Task<IReadOnlyList<FutureRequest>> ClaimNextAsync(string workerId, int maxBatch, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the outcome of claimed requests (each completed or failed by the caller), together with every
    /// other change of the same scope (a save's checkpoint, an ephemeral sampling session) in one transaction.
    /// </summary>
    Task SaveOutcomeAsync(IReadOnlyList<FutureRequest> requests, CancellationToken cancellationToken);

    /// <summary>
    /// Fails requests that are still running (category server) when their outcome could not be stored, so
    /// their clients get an answer; use a fresh scope. Returns how many were failed.
    /// </summary>
    Task<int> FailRunningAsync(IReadOnlyCollection<string> requestIds, string error, CancellationToken cancellationToken);

    /// <summary>Puts requests left running by a dead worker back in the queue; returns how many.</summary>
    Task<int> RequeueAbandonedAsync(CancellationToken cancellationToken);
}

/// <summary>Wakes the engine when work arrives, so it need not poll fast.</summary>
public interface IEngineSignal
{
    void WorkAvailable();

    Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>
/// Wakes retrieve_future long-polls when their request completes. One shared mechanism: completions in
/// this process notify directly; completions by other processes are found by one query per tick for all waiters.
/// </summary>
public interface IFutureCompletionHub
{
    /// <summary>Completes when the request is done or the timeout passes; true when done.</summary>
    Task<bool> WaitAsync(string requestId, TimeSpan timeout, CancellationToken cancellationToken);

    void NotifyCompleted(string requestId);
}
