using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Abstractions.Compute;

/// <summary>A base model the backend can serve.</summary>
public sealed record BaseModelInfo(string Name, string Architecture, int MaxContextLength, int VocabSize, bool TiedEmbeddings);

/// <summary>
/// The compute: one loaded base model shared by many LoRA adapters (one per training run) and by
/// samplers (base model, optionally with a sampler checkpoint's adapter). Checkpoints are written to and
/// read from streams so the backend never sees the storage layout.
/// Calls for one model are serialised by the engine; calls for different models may run concurrently.
/// User errors (bad tokens, unknown loss, rank mismatch, ...) throw <see cref="InvalidComputeRequestException"/>.
/// </summary>
public interface ITrainingBackend
{
    IReadOnlyList<BaseModelInfo> BaseModels { get; }

    /// <summary>Creates the adapter of a run: LoRA A drawn from the seed, B = 0, so it starts as a no-op.</summary>
    Task CreateModelAsync(TrainingRunId modelId, string baseModel, LoraConfig lora, CancellationToken cancellationToken);

    bool IsLoaded(TrainingRunId modelId);

    /// <summary>Frees the adapter, its gradients and optimizer state. Idempotent.</summary>
    Task UnloadModelAsync(TrainingRunId modelId, CancellationToken cancellationToken);

    /// <summary>Forward only: logprobs and losses, no gradient accumulation.</summary>
    Task<ForwardBackwardOutput> ForwardAsync(TrainingRunId modelId, ForwardBackwardBatch batch, CancellationToken cancellationToken);

    /// <summary>Forward and backward; gradients accumulate (sum) until the next optim step.</summary>
    Task<ForwardBackwardOutput> ForwardBackwardAsync(TrainingRunId modelId, ForwardBackwardBatch batch, CancellationToken cancellationToken);

    /// <summary>One AdamW step on the accumulated gradients, which are then zeroed.</summary>
    Task<OptimStepOutput> OptimStepAsync(TrainingRunId modelId, AdamParams parameters, CancellationToken cancellationToken);

    /// <summary>Writes a training checkpoint archive (adapter, optimizer state, metadata) to the stream.</summary>
    Task SaveTrainingCheckpointAsync(TrainingRunId modelId, Stream destination, CancellationToken cancellationToken);

    /// <summary>Writes a sampler checkpoint archive (a PEFT adapter) to the stream.</summary>
    Task SaveSamplerCheckpointAsync(TrainingRunId modelId, Stream destination, CancellationToken cancellationToken);

    /// <summary>Replaces the run's adapter (and optimizer state when asked) with a training checkpoint's.</summary>
    Task LoadTrainingCheckpointAsync(TrainingRunId modelId, Stream source, bool withOptimizer, CancellationToken cancellationToken);

    /// <summary>A sampler on the base model, with the adapter of a sampler checkpoint archive when given.</summary>
    Task CreateSamplerAsync(string samplerId, string baseModel, Stream? samplerCheckpoint, CancellationToken cancellationToken);

    /// <summary>A sampler holding a snapshot of a run's current adapter (ephemeral sampler weights).</summary>
    Task CreateSamplerFromModelAsync(string samplerId, TrainingRunId modelId, CancellationToken cancellationToken);

    bool HasSampler(string samplerId);

    Task ReleaseSamplerAsync(string samplerId, CancellationToken cancellationToken);

    Task<SampleOutput> SampleAsync(string samplerId, SampleInput input, CancellationToken cancellationToken);
}

/// <summary>A compute request that can never succeed as sent; reported to the client as a user error.</summary>
public sealed class InvalidComputeRequestException(string message) : Exception(message);
