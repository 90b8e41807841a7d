using System.Text;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Infrastructure.Tests.Engine;

/// <summary>A minimal in-memory backend: enough state to tell which calls the engine made, in which order.</summary>
internal sealed class ScriptedBackend : ITrainingBackend
{
    private readonly Lock _gate = new();
    private readonly HashSet<TrainingRunId> _models = [];
    private readonly HashSet<string> _samplers = [];

    public List<string> Calls { get; } = [];

    /// <summary>Runs while a training checkpoint is being written (to interfere with the save).</summary>
    public Func<Task>? DuringSave { get; set; }

    public IReadOnlyList<BaseModelInfo> BaseModels { get; } = [new("tiny", "qwen3", 128, 64, true)];

    public Task CreateModelAsync(TrainingRunId modelId, string baseModel, LoraConfig lora, CancellationToken cancellationToken)
    {
        Record($"create {modelId}");
        lock (_gate)
        {
            _models.Add(modelId);
        }

        return Task.CompletedTask;
    }

    public bool IsLoaded(TrainingRunId modelId)
    {
        lock (_gate)
        {
            return _models.Contains(modelId);
        }
    }

    public Task UnloadModelAsync(TrainingRunId modelId, CancellationToken cancellationToken)
    {
        Record($"unload {modelId}");
        lock (_gate)
        {
            _models.Remove(modelId);
        }

        return Task.CompletedTask;
    }

    public Task<ForwardBackwardOutput> ForwardAsync(TrainingRunId modelId, ForwardBackwardBatch batch, CancellationToken cancellationToken) =>
        Output($"forward {modelId}", batch);

    public Task<ForwardBackwardOutput> ForwardBackwardAsync(TrainingRunId modelId, ForwardBackwardBatch batch, CancellationToken cancellationToken) =>
        Output($"forward_backward {modelId}", batch);

    public Task<OptimStepOutput> OptimStepAsync(TrainingRunId modelId, AdamParams parameters, CancellationToken cancellationToken)
    {
        Record($"optim {modelId}");
        return Task.FromResult(new OptimStepOutput(new Dictionary<string, double> { ["lr:mean"] = parameters.LearningRate }));
    }

    public async Task SaveTrainingCheckpointAsync(TrainingRunId modelId, Stream destination, CancellationToken cancellationToken)
    {
        Record($"save {modelId}");
        await destination.WriteAsync(Encoding.UTF8.GetBytes($"weights of {modelId}"), cancellationToken);
        if (DuringSave is { } interfere)
        {
            await interfere();
        }
    }

    public Task SaveSamplerCheckpointAsync(TrainingRunId modelId, Stream destination, CancellationToken cancellationToken)
    {
        Record($"save_sampler {modelId}");
        return destination.WriteAsync(Encoding.UTF8.GetBytes($"adapter of {modelId}"), cancellationToken).AsTask();
    }

    public Task LoadTrainingCheckpointAsync(TrainingRunId modelId, Stream source, bool withOptimizer, CancellationToken cancellationToken)
    {
        Record($"load {modelId}");
        return Task.CompletedTask;
    }

    public Task CreateSamplerAsync(string samplerId, string baseModel, Stream? samplerCheckpoint, CancellationToken cancellationToken)
    {
        Record($"create_sampler {samplerId}");
        lock (_gate)
        {
            _samplers.Add(samplerId);
        }

        return Task.CompletedTask;
    }

    public Task CreateSamplerFromModelAsync(string samplerId, TrainingRunId modelId, CancellationToken cancellationToken) =>
        CreateSamplerAsync(samplerId, "tiny", null, cancellationToken);

    public bool HasSampler(string samplerId)
    {
        lock (_gate)
        {
            return _samplers.Contains(samplerId);
        }
    }

    public Task ReleaseSamplerAsync(string samplerId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _samplers.Remove(samplerId);
        }

        return Task.CompletedTask;
    }

    public Task<SampleOutput> SampleAsync(string samplerId, SampleInput input, CancellationToken cancellationToken)
    {
        Record($"sample {samplerId}");
        return Task.FromResult(new SampleOutput([new SampledSequence(StopReason.Stop, [1], [-0.1f])], null, null));
    }

    private Task<ForwardBackwardOutput> Output(string call, ForwardBackwardBatch batch)
    {
        Record(call);
        var outputs = batch.Data
            .Select(d => (IReadOnlyDictionary<string, TensorData>)new Dictionary<string, TensorData> { ["logprobs"] = TensorData.FromFloats(new float[d.ModelInput.Length]) })
            .ToList();
        return Task.FromResult(new ForwardBackwardOutput("TensorData", outputs, new Dictionary<string, double> { ["loss:sum"] = 1 }));
    }

    private void Record(string call)
    {
        lock (_gate)
        {
            Calls.Add(call);
        }
    }
}
