using TinkerServer.Application.Abstractions.Engine;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Domain.Futures;

namespace TinkerServer.Application.Futures;

/// <summary>A request to queue. <see cref="DedupKey"/> null means it is never deduplicated.</summary>
public sealed record NewFuture(RequestKind Kind, string? ModelId, string? SamplingSessionId, long? SeqId, string? DedupKey, object Payload);

/// <param name="Replayed">True when this was a retry answered with the original future.</param>
public sealed record EnqueuedFuture(string RequestId, bool Replayed);

/// <summary>
/// The one way requests enter the queue. Deduplication comes before any business rule: the SDK retries
/// every mutating POST, and a retried save or first load must get its original future back, not a
/// "name exists" or "not permitted" error.
/// </summary>
public sealed class FutureEnqueuer(IFutureRepository futures, IUnitOfWork unitOfWork, IEngineSignal engine, TimeProvider time)
{
    public static string TrainingKey(string modelId, long seqId) => $"model:{modelId}:seq:{seqId}";

    public static string SampleKey(string samplingSessionId, long seqId) => $"sampler:{samplingSessionId}:seq:{seqId}";

    public static string CreateModelKey(string modelId) => $"create_model:{modelId}";

    /// <param name="onFirstSubmission">
    /// Business rules for a request seen for the first time. It may throw (the request is rejected and
    /// nothing is stored), add rows that must commit with the request (a pending checkpoint), or return a
    /// user error: the request is then stored as failed, which the SDK raises at once instead of retrying.
    /// </param>
    public async Task<EnqueuedFuture> EnqueueAsync(
        NewFuture request,
        Func<CancellationToken, Task<string?>>? onFirstSubmission,
        CancellationToken cancellationToken)
    {
        var payload = FutureJson.Serialize(request.Payload);
        var hash = FutureJson.Hash(payload);
        if (request.DedupKey is not null &&
            await FindReplayAsync(request.DedupKey, request.Kind, hash, cancellationToken) is { } replay)
        {
            return new EnqueuedFuture(replay, Replayed: true);
        }

        var userError = onFirstSubmission is null ? null : await onFirstSubmission(cancellationToken);
        var now = time.GetUtcNow();
        var future = FutureRequest.Create(
            $"req_{Guid.NewGuid():N}", request.Kind, request.ModelId, request.SamplingSessionId, request.SeqId,
            request.DedupKey, payload, hash, now);
        if (userError is not null)
        {
            future.Fail(userError, FailureCategory.User, now);
        }

        futures.Add(future);
        try
        {
            await unitOfWork.SaveChangesAsync(cancellationToken);
        }
        catch (DuplicateKeyException) when (request.DedupKey is not null)
        {
            // An identical retry committed first (two attempts in flight): answer with its future.
            if (await FindReplayAsync(request.DedupKey, request.Kind, hash, cancellationToken) is { } raced)
            {
                return new EnqueuedFuture(raced, Replayed: true);
            }

            throw;
        }

        if (userError is null)
        {
            engine.WorkAvailable();
        }

        return new EnqueuedFuture(future.Id, Replayed: false);
    }

    private async Task<string?> FindReplayAsync(string dedupKey, RequestKind kind, string hash, CancellationToken cancellationToken)
    {
        var existing = await futures.FindByDedupKeyAsync(dedupKey, cancellationToken);
        if (existing is null)
        {
            return null;
        }

        return existing.IsSameRequestAs(kind, hash)
            ? existing.Id
            : throw new ConflictException(
                "Request sequence number was reused with a different request; each request needs its own seq_id.");
    }
}
