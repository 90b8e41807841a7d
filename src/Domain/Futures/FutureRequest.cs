using TinkerServer.Domain.Common;

namespace TinkerServer.Domain.Futures;

/// <summary>
/// A queued asynchronous request and, once executed, its result: the "future" a client polls with
/// retrieve_future. The payload is kept in canonical form so a retry can be recognised as the same request.
/// </summary>
public sealed class FutureRequest
{
    private FutureRequest()
    {
    }

    /// <summary>request_id on the wire.</summary>
    public string Id { get; private set; } = "";

    public RequestKind Kind { get; private set; }

    /// <summary>The training run the request targets (training requests), else null.</summary>
    public string? ModelId { get; private set; }

    /// <summary>The sampling session a sample request targets, else null.</summary>
    public string? SamplingSessionId { get; private set; }

    public long? SeqId { get; private set; }

    /// <summary>Unique key of the request's identity ((model, seq) and the like); null = never deduplicated.</summary>
    public string? DedupKey { get; private set; }

    /// <summary>Canonical JSON of what to execute.</summary>
    public string Payload { get; private set; } = "";

    /// <summary>SHA-256 of <see cref="Payload"/>: a retry with the same key must carry the same hash.</summary>
    public string PayloadHash { get; private set; } = "";

    public FutureStatus Status { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset? StartedAt { get; private set; }

    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary>Canonical JSON of the result when completed.</summary>
    public string? Result { get; private set; }

    public string? Error { get; private set; }

    public string? ErrorCategory { get; private set; }

    public string? ClaimedBy { get; private set; }

    public bool IsDone => Status is FutureStatus.Completed or FutureStatus.Failed;

    public static FutureRequest Create(
        string id,
        RequestKind kind,
        string? modelId,
        string? samplingSessionId,
        long? seqId,
        string? dedupKey,
        string payload,
        string payloadHash,
        DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return new FutureRequest
        {
            Id = id,
            Kind = kind,
            ModelId = modelId,
            SamplingSessionId = samplingSessionId,
            SeqId = seqId,
            DedupKey = dedupKey,
            Payload = payload,
            PayloadHash = payloadHash,
            Status = FutureStatus.Pending,
            CreatedAt = now,
        };
    }

    /// <summary>True when a retry with the same key asks for the same thing.</summary>
    public bool IsSameRequestAs(RequestKind kind, string payloadHash) => Kind == kind && PayloadHash == payloadHash;

    public void Start(string workerId, DateTimeOffset now)
    {
        if (Status != FutureStatus.Pending)
        {
            throw new DomainRuleViolationException($"Request {Id} is {Status}, not pending.");
        }

        Status = FutureStatus.Running;
        ClaimedBy = workerId;
        StartedAt = now;
    }

    public void Complete(string result, DateTimeOffset now)
    {
        EnsureNotDone();
        Status = FutureStatus.Completed;
        Result = result;
        CompletedAt = now;
    }

    public void Fail(string error, string category, DateTimeOffset now)
    {
        EnsureNotDone();
        Status = FutureStatus.Failed;
        Error = error;
        ErrorCategory = category;
        CompletedAt = now;
    }

    /// <summary>A request whose worker died mid-run goes back to the queue (start-up recovery).</summary>
    public void Requeue()
    {
        if (Status == FutureStatus.Running)
        {
            Status = FutureStatus.Pending;
            ClaimedBy = null;
            StartedAt = null;
        }
    }

    private void EnsureNotDone()
    {
        if (IsDone)
        {
            throw new DomainRuleViolationException($"Request {Id} is already {Status}.");
        }
    }
}
