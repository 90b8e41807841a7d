using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>
/// The built-in compute backend: pure C# Qwen3 + LoRA. One weight set per base model is shared by every run's
/// adapter and every sampler. Each run's state is guarded by its own lock (the engine already serialises calls
/// per model; the lock keeps checkpoint snapshots consistent anyway). Compute runs on the thread pool.
/// </summary>
public sealed class ReferenceTrainingBackend(ReferenceModelRegistry registry, ILogger<ReferenceTrainingBackend> logger) : ITrainingBackend
{
    /// <summary>Datums are processed in micro-batches of at most this many tokens (bounds activation memory).</summary>
    public const int TokenBudget = 4096;

    private readonly ConcurrentDictionary<TrainingRunId, RunState> _runs = new();
    private readonly ConcurrentDictionary<string, SamplerState> _samplers = new(StringComparer.Ordinal);

    public IReadOnlyList<BaseModelInfo> BaseModels => registry.Models;

    public Task CreateModelAsync(TrainingRunId modelId, string baseModel, LoraConfig lora, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lora);
        var model = registry.Get(baseModel);
        if (lora.Rank < 1 || lora.Rank > LoraConfig.MaxRank)
        {
            throw new InvalidComputeRequestException($"LoRA rank must be between 1 and {LoraConfig.MaxRank}.");
        }

        if (!double.IsFinite(lora.Alpha) || lora.Alpha <= 0)
        {
            throw new InvalidComputeRequestException("LoRA alpha must be a positive number.");
        }

        if (lora.TrainUnembed && model.Config.TieWordEmbeddings)
        {
            throw new InvalidComputeRequestException(
                $"train_unembed is not supported for '{baseModel}': its lm_head is tied to the embeddings. Create the run with train_unembed=false.");
        }

        if (!lora.TrainAttn && !lora.TrainMlp && !lora.TrainUnembed)
        {
            throw new InvalidComputeRequestException("At least one of train_attn, train_mlp and train_unembed must be true.");
        }

        return Task.Run(() =>
        {
            var settings = new LoraSettings(lora.Rank, lora.Alpha, unchecked((ulong)lora.Seed), lora.TrainAttn, lora.TrainMlp, lora.TrainUnembed);
            _ = model.Weights;
            var state = new RunState(model, LoraAdapter.Create(model.Config, settings));
            if (!_runs.TryAdd(modelId, state))
            {
                throw new InvalidComputeRequestException($"Model '{modelId}' is already loaded.");
            }

            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("Created LoRA adapter for {ModelId} on {BaseModel} (rank {Rank}).", modelId.Value, baseModel, lora.Rank);
            }
        }, cancellationToken);
    }

    public bool IsLoaded(TrainingRunId modelId) => _runs.ContainsKey(modelId);

    public Task UnloadModelAsync(TrainingRunId modelId, CancellationToken cancellationToken)
    {
        _runs.TryRemove(modelId, out _);
        return Task.CompletedTask;
    }

    public Task<ForwardBackwardOutput> ForwardAsync(TrainingRunId modelId, ForwardBackwardBatch batch, CancellationToken cancellationToken) =>
        RunLocked(modelId, run => Compute(run, batch, backward: false), cancellationToken);

    public Task<ForwardBackwardOutput> ForwardBackwardAsync(TrainingRunId modelId, ForwardBackwardBatch batch, CancellationToken cancellationToken) =>
        RunLocked(modelId, run => Compute(run, batch, backward: true), cancellationToken);

    public Task<OptimStepOutput> OptimStepAsync(TrainingRunId modelId, AdamParams parameters, CancellationToken cancellationToken)
    {
        AdamW.Validate(parameters);
        return RunLocked(modelId, run => new OptimStepOutput(AdamW.Step(run.Adapter, parameters)), cancellationToken);
    }

    public async Task SaveTrainingCheckpointAsync(TrainingRunId modelId, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var bytes = await RunLocked(modelId, run =>
        {
            using var buffer = new MemoryStream();
            CheckpointArchive.WriteTraining(buffer, run.Adapter, run.Model.Name);
            return buffer.ToArray();
        }, cancellationToken);
        await destination.WriteAsync(bytes, cancellationToken);
    }

    public async Task SaveSamplerCheckpointAsync(TrainingRunId modelId, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var bytes = await RunLocked(modelId, run =>
        {
            using var buffer = new MemoryStream();
            CheckpointArchive.WriteSampler(buffer, run.Adapter, run.Model.Name);
            return buffer.ToArray();
        }, cancellationToken);
        await destination.WriteAsync(bytes, cancellationToken);
    }

    public async Task LoadTrainingCheckpointAsync(TrainingRunId modelId, Stream source, bool withOptimizer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var archive = await BufferAsync(source, cancellationToken);
        await RunLocked(modelId, run =>
        {
            var checkpoint = CheckpointArchive.ReadTraining(archive, run.Model.Config, run.Model.Name, withOptimizer);
            var current = run.Adapter.Settings;
            var loaded = checkpoint.Adapter.Settings;
            if (loaded.Rank != current.Rank || loaded.Alpha != current.Alpha || loaded.TrainAttn != current.TrainAttn
                || loaded.TrainMlp != current.TrainMlp || loaded.TrainUnembed != current.TrainUnembed || loaded.UseRsLora != current.UseRsLora)
            {
                throw new InvalidComputeRequestException(
                    $"The checkpoint's LoRA config (rank {loaded.Rank}, alpha {loaded.Alpha}, attn {loaded.TrainAttn}, mlp {loaded.TrainMlp}, unembed {loaded.TrainUnembed}) " +
                    $"does not match the run's (rank {current.Rank}, alpha {current.Alpha}, attn {current.TrainAttn}, mlp {current.TrainMlp}, unembed {current.TrainUnembed}).");
            }

            run.Adapter = checkpoint.Adapter;
            return 0;
        }, cancellationToken);
    }

    public async Task CreateSamplerAsync(string samplerId, string baseModel, Stream? samplerCheckpoint, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(samplerId);
        var model = registry.Get(baseModel);
        var archive = samplerCheckpoint is null ? null : await BufferAsync(samplerCheckpoint, cancellationToken);
        var adapter = await Task.Run(() =>
        {
            _ = model.Weights;
            return archive is null ? null : CheckpointArchive.ReadSampler(archive, model.Config, model.Name);
        }, cancellationToken);
        _samplers[samplerId] = new SamplerState(model, adapter);
    }

    public async Task CreateSamplerFromModelAsync(string samplerId, TrainingRunId modelId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(samplerId);
        var state = await RunLocked(modelId, run => new SamplerState(run.Model, run.Adapter.SnapshotWeights()), cancellationToken);
        _samplers[samplerId] = state;
    }

    public bool HasSampler(string samplerId) => samplerId is not null && _samplers.ContainsKey(samplerId);

    public Task ReleaseSamplerAsync(string samplerId, CancellationToken cancellationToken)
    {
        if (samplerId is not null)
        {
            _samplers.TryRemove(samplerId, out _);
        }

        return Task.CompletedTask;
    }

    public Task<SampleOutput> SampleAsync(string samplerId, SampleInput input, CancellationToken cancellationToken)
    {
        if (samplerId is null || !_samplers.TryGetValue(samplerId, out var sampler))
        {
            throw new InvalidComputeRequestException($"Sampler '{samplerId}' does not exist.");
        }

        ArgumentNullException.ThrowIfNull(input);
        Generation.Validate(sampler.Model.Config, input);

        // Samplers are immutable snapshots, so concurrent requests need no lock.
        return Task.Run(() => Generation.Sample(sampler.Model.Weights, sampler.Adapter, input, cancellationToken), cancellationToken);
    }

    private static ForwardBackwardOutput Compute(RunState run, ForwardBackwardBatch batch, bool backward)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var config = run.Model.Config;
        LossEvaluator.Create(batch, config);
        var weights = run.Model.Weights;
        var outputs = new List<IReadOnlyDictionary<string, TensorData>>(batch.Data.Count);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var chunk in Chunks(batch))
        {
            var evaluator = LossEvaluator.Create(chunk, config);
            float[] logprobs;
            if (backward)
            {
                logprobs = Qwen3Engine.Run(weights, run.Adapter, evaluator.Packed, evaluator.Targets, evaluator.Evaluate);
            }
            else
            {
                logprobs = Qwen3Engine.Run(weights, run.Adapter, evaluator.Packed, evaluator.Targets, null);
                for (var row = 0; row < logprobs.Length; row++)
                {
                    evaluator.Evaluate(row, logprobs[row]);
                }
            }

            var output = evaluator.BuildOutput(logprobs);
            outputs.AddRange(output.LossFnOutputs);
            foreach (var (key, value) in output.Metrics)
            {
                metrics[key] = metrics.GetValueOrDefault(key) + value;
            }
        }

        return new ForwardBackwardOutput("scalar", outputs, metrics);
    }

    /// <summary>Consecutive groups of datums of at most <see cref="TokenBudget"/> tokens (a longer datum goes alone).</summary>
    private static IEnumerable<ForwardBackwardBatch> Chunks(ForwardBackwardBatch batch)
    {
        var current = new List<Datum>();
        var tokens = 0;
        foreach (var d in batch.Data)
        {
            if (current.Count > 0 && tokens + d.ModelInput.Length > TokenBudget)
            {
                yield return batch with { Data = current };
                current = [];
                tokens = 0;
            }

            current.Add(d);
            tokens += d.ModelInput.Length;
        }

        if (current.Count > 0)
        {
            yield return batch with { Data = current };
        }
    }

    private Task<T> RunLocked<T>(TrainingRunId modelId, Func<RunState, T> action, CancellationToken cancellationToken)
    {
        if (!_runs.TryGetValue(modelId, out var run))
        {
            throw new InvalidComputeRequestException($"Model '{modelId}' is not loaded.");
        }

        return Task.Run(() =>
        {
            lock (run)
            {
                cancellationToken.ThrowIfCancellationRequested();
                return action(run);
            }
        }, cancellationToken);
    }

    private static async Task<MemoryStream> BufferAsync(Stream source, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > CheckpointArchive.MaxArchiveBytes)
            {
                throw new InvalidComputeRequestException("The checkpoint archive is too large.");
            }

            buffer.Write(chunk, 0, read);
        }

        buffer.Position = 0;
        return buffer;
    }

    private sealed class RunState(RegisteredModel model, LoraAdapter adapter)
    {
        public RegisteredModel Model { get; } = model;

        public LoraAdapter Adapter { get; set; } = adapter;
    }

    private sealed record SamplerState(RegisteredModel Model, LoraAdapter? Adapter);
}
