using TinkerServer.Domain.Futures;

namespace TinkerServer.Application.Abstractions.Persistence;

/// <summary>
/// Queued requests. The single-request reads (<see cref="FindAsync"/>, <see cref="FindByDedupKeyAsync"/>) do
/// not track what they return: retrieve_future reads a future, waits, and reads it again in the same scope,
/// and the second read must see what the engine worker committed meanwhile (a tracked read would hand back
/// the first, stale instance). Change a request only through what the engine claims or through
/// <see cref="ListUnfinishedAsync"/>.
/// </summary>
public interface IFutureRepository
{
    /// <summary>A fresh, untracked read of the request.</summary>
    Task<FutureRequest?> FindAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>A fresh, untracked read of the request carrying this dedup key.</summary>
    Task<FutureRequest?> FindByDedupKeyAsync(string dedupKey, CancellationToken cancellationToken);

    /// <summary>Whether the run has any request other than its create_model (load_weights must come first).</summary>
    Task<bool> HasTrainingRequestsAsync(string modelId, CancellationToken cancellationToken);

    /// <summary>Which of the given requests are completed or failed; one query whatever the number of ids.</summary>
    Task<IReadOnlyList<string>> ListDoneAsync(IReadOnlyCollection<string> requestIds, CancellationToken cancellationToken);

    /// <summary>Pending or running requests of the given kinds, tracked so the caller can fail them (start-up recovery).</summary>
    Task<IReadOnlyList<FutureRequest>> ListUnfinishedAsync(IReadOnlyCollection<RequestKind> kinds, CancellationToken cancellationToken);

    /// <summary>Deletes up to <paramref name="limit"/> finished requests completed before <paramref name="before"/>; returns how many.</summary>
    Task<int> DeleteFinishedBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);

    void Add(FutureRequest request);
}
