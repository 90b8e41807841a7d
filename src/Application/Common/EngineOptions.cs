namespace TinkerServer.Application.Common;

/// <summary>Timing of sessions and the engine; bound from the "TinkerServer" configuration section.</summary>
public sealed class EngineOptions
{
    /// <summary>A session with no heartbeat for this long expires and its runs are unloaded (SDK beats every 10 s).</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long retrieve_future holds a request before answering 408 (must stay below the SDK's 45 s).</summary>
    public TimeSpan LongPollTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the shared completion poll asks the database which awaited futures are done (completions by other processes).</summary>
    public TimeSpan CompletionPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long an idle engine worker sleeps when not woken by new work: the delay before it notices work queued by
    /// another process or a held request whose hold expired. Work queued in this process wakes it at once.
    /// </summary>
    public TimeSpan WorkerPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a request is held while a lower seq_id of its run has not arrived (the SDK sends a call's chunks
    /// concurrently, the first one last). After this it runs anyway and a warning is logged.
    /// </summary>
    public TimeSpan SeqGapHoldTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most forward/forward_backward requests of a run (or samples of one sampler) claimed as one work item.</summary>
    public int MaxBatch { get; set; } = 32;

    /// <summary>False for API-only replicas: requests are queued here and executed by engine workers elsewhere.</summary>
    public bool RunEngineWorker { get; set; } = true;

    /// <summary>Work items one process executes at once (always for different runs / samplers).</summary>
    public int WorkerConcurrency { get; set; } = 2;

    /// <summary>
    /// How long finished requests (results, and the keys that deduplicate retries) are kept. The SDK retries
    /// samples for up to two hours, so keep well above that.
    /// </summary>
    public TimeSpan FutureRetention { get; set; } = TimeSpan.FromHours(24);
}
