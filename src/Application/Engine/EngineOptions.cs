namespace TinkerServer.Application.Engine;

/// <summary>
/// Tuning of the engine and of retrieve_future. Bound from the "TinkerServer" configuration section
/// (keys named like the properties, e.g. TinkerServer:LongPollTimeout = "00:00:30"); every default works.
/// </summary>
public sealed class EngineOptions
{
    /// <summary>How long retrieve_future holds a request for an unfinished future before answering try_again (must stay below the SDK's 45 s client timeout).</summary>
    public TimeSpan LongPollTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Sessions without a heartbeat for this long expire (their runs are unloaded).</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the shared completion poll asks the database which awaited futures are done (completions by other processes).</summary>
    public TimeSpan CompletionPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long an idle engine worker sleeps when not woken by new work (also how often held requests are re-checked).</summary>
    public TimeSpan WorkerPollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long a request is held while a lower seq_id of its run has not arrived yet (the SDK sends a call's
    /// chunks concurrently, the first one last). After this it runs anyway and a warning is logged.
    /// </summary>
    public TimeSpan SeqGapHoldTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most forward/forward_backward requests (or samples of one sampler) claimed as one work item.</summary>
    public int MaxBatch { get; set; } = 32;

    /// <summary>Work items one process executes at once (always for different runs / samplers).</summary>
    public int WorkerConcurrency { get; set; } = 2;
}
