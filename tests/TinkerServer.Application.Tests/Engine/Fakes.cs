using System.Runtime.CompilerServices;
using System.Text;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Abstractions.Engine;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Futures;
using TinkerServer.Domain.Sampling;
using TinkerServer.Domain.Sessions;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Tests.Engine;

/// <summary>A backend that records what it was asked and answers deterministically from its inputs.</summary>
internal sealed class FakeBackend : ITrainingBackend
{
    public HashSet<TrainingRunId> Models { get; } = [];

    public Dictionary<TrainingRunId, (string BaseModel, LoraConfig Lora)> Created { get; } = [];

    /// <summary>Sampler id → (base model, adapter bytes or null, source model for snapshots).</summary>
    public Dictionary<string, (string BaseModel, byte[]? Adapter, TrainingRunId? Source)> Samplers { get; } = [];

    public List<string> Calls { get; } = [];

    public List<(TrainingRunId Model, byte[] Bytes, bool Optimizer)> Loads { get; } = [];

    /// <summary>Thrown by forward/forward_backward when the first token of a datum is this value.</summary>
    public int PoisonToken { get; set; } = -1;

    public Exception? SaveFailure { get; set; }

    public Exception? OptimFailure { get; set; }

    public IReadOnlyList<BaseModelInfo> BaseModels { get; } = [new("tiny", "qwen3", 128, 64, true)];

    public Task CreateModelAsync(TrainingRunId modelId, string baseModel, LoraConfig lora, CancellationToken cancellationToken)
    {
        Calls.Add($"create {modelId}");
        Models.Add(modelId);
        Created[modelId] = (baseModel, lora);
        return Task.CompletedTask;
    }

    public bool IsLoaded(TrainingRunId modelId) => Models.Contains(modelId);

    public Task UnloadModelAsync(TrainingRunId modelId, CancellationToken cancellationToken)
    {
        Calls.Add($"unload {modelId}");
        Models.Remove(modelId);
        return Task.CompletedTask;
    }

    public Task<ForwardBackwardOutput> ForwardAsync(TrainingRunId modelId, ForwardBackwardBatch batch, CancellationToken cancellationToken) =>
        Run("forward", modelId, batch);

    public Task<ForwardBackwardOutput> ForwardBackwardAsync(TrainingRunId modelId, ForwardBackwardBatch batch, CancellationToken cancellationToken) =>
        Run("forward_backward", modelId, batch);

    public Task<OptimStepOutput> OptimStepAsync(TrainingRunId modelId, AdamParams parameters, CancellationToken cancellationToken)
    {
        Calls.Add($"optim {modelId} lr={parameters.LearningRate}");
        return OptimFailure is { } failure
            ? Task.FromException<OptimStepOutput>(failure)
            : Task.FromResult(new OptimStepOutput(new Dictionary<string, double> { ["lr:mean"] = parameters.LearningRate }));
    }

    public async Task SaveTrainingCheckpointAsync(TrainingRunId modelId, Stream destination, CancellationToken cancellationToken)
    {
        Calls.Add($"save_training {modelId}");
        await WriteAsync(destination, $"training-checkpoint-of-{modelId}", cancellationToken);
    }

    public async Task SaveSamplerCheckpointAsync(TrainingRunId modelId, Stream destination, CancellationToken cancellationToken)
    {
        Calls.Add($"save_sampler {modelId}");
        await WriteAsync(destination, $"sampler-checkpoint-of-{modelId}", cancellationToken);
    }

    public async Task LoadTrainingCheckpointAsync(TrainingRunId modelId, Stream source, bool withOptimizer, CancellationToken cancellationToken)
    {
        using var copy = new MemoryStream();
        await source.CopyToAsync(copy, cancellationToken);
        Calls.Add($"load {modelId}");
        Loads.Add((modelId, copy.ToArray(), withOptimizer));
    }

    public async Task CreateSamplerAsync(string samplerId, string baseModel, Stream? samplerCheckpoint, CancellationToken cancellationToken)
    {
        byte[]? adapter = null;
        if (samplerCheckpoint is not null)
        {
            using var copy = new MemoryStream();
            await samplerCheckpoint.CopyToAsync(copy, cancellationToken);
            adapter = copy.ToArray();
        }

        Calls.Add($"create_sampler {samplerId}");
        Samplers[samplerId] = (baseModel, adapter, null);
    }

    public Task CreateSamplerFromModelAsync(string samplerId, TrainingRunId modelId, CancellationToken cancellationToken)
    {
        Calls.Add($"snapshot_sampler {samplerId} {modelId}");
        Samplers[samplerId] = ("tiny", null, modelId);
        return Task.CompletedTask;
    }

    public bool HasSampler(string samplerId) => Samplers.ContainsKey(samplerId);

    public Task ReleaseSamplerAsync(string samplerId, CancellationToken cancellationToken)
    {
        Samplers.Remove(samplerId);
        return Task.CompletedTask;
    }

    public Task<SampleOutput> SampleAsync(string samplerId, SampleInput input, CancellationToken cancellationToken)
    {
        Calls.Add($"sample {samplerId}");
        var sequences = Enumerable.Range(0, input.NumSamples)
            .Select(i => new SampledSequence(StopReason.Length, [input.Prompt.Length + i], [-0.5f]))
            .ToList();
        return Task.FromResult(new SampleOutput(sequences, null, null));
    }

    private Task<ForwardBackwardOutput> Run(string what, TrainingRunId modelId, ForwardBackwardBatch batch)
    {
        Calls.Add($"{what} {modelId} n={batch.Data.Count}");
        if (batch.Data.Any(d => d.ModelInput.Length > 0 && d.ModelInput[0] == PoisonToken))
        {
            return Task.FromException<ForwardBackwardOutput>(new InvalidComputeRequestException($"Token {PoisonToken} is out of range."));
        }

        // Each datum's output echoes its tokens, so a test can see which output belongs to which datum.
        var outputs = batch.Data
            .Select(d => (IReadOnlyDictionary<string, TensorData>)new Dictionary<string, TensorData>
            {
                ["logprobs"] = TensorData.FromFloats(d.ModelInput.Select(t => (float)t).ToArray()),
            })
            .ToList();
        var metrics = new Dictionary<string, double> { ["loss:sum"] = batch.Data.Sum(d => d.ModelInput.Length) };
        return Task.FromResult(new ForwardBackwardOutput("TensorData", outputs, metrics));
    }

    private async Task WriteAsync(Stream destination, string content, CancellationToken cancellationToken)
    {
        await destination.WriteAsync(Encoding.UTF8.GetBytes(content), cancellationToken);
        if (SaveFailure is { } failure)
        {
            throw failure;
        }
    }
}

/// <summary>In-memory storage with the staging semantics of the port: nothing is visible before commit.</summary>
internal sealed class FakeStorage : IArtifactStorage
{
    public Dictionary<CheckpointPath, byte[]> Artifacts { get; } = [];

    public int OpenStaged { get; private set; }

    public int Leftovers { get; set; }

    public Task<ArtifactInfo?> GetInfoAsync(CheckpointPath path, CancellationToken cancellationToken) =>
        Task.FromResult(Artifacts.TryGetValue(path, out var bytes) ? new ArtifactInfo(ArtifactShape.File, bytes.Length) : null);

    public Task<ArtifactContent?> OpenReadAsync(CheckpointPath path, CancellationToken cancellationToken) =>
        Task.FromResult(Artifacts.TryGetValue(path, out var bytes)
            ? new ArtifactContent(new MemoryStream(bytes, writable: false), bytes.Length, ArtifactShape.File, DateTimeOffset.UnixEpoch)
            : null);

    public Task<IStagedArtifact> BeginWriteAsync(CheckpointPath path, CancellationToken cancellationToken)
    {
        OpenStaged++;
        return Task.FromResult<IStagedArtifact>(new Staged(this, path));
    }

    public Task<bool> DeleteAsync(CheckpointPath path, CancellationToken cancellationToken) => Task.FromResult(Artifacts.Remove(path));

    public async IAsyncEnumerable<CheckpointPath> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var path in Artifacts.Keys.ToList())
        {
            yield return path;
        }
    }

    public Task<int> CleanUpLeftoversAsync(CancellationToken cancellationToken)
    {
        var removed = Leftovers;
        Leftovers = 0;
        return Task.FromResult(removed);
    }

    private sealed class Staged(FakeStorage owner, CheckpointPath path) : IStagedArtifact
    {
        private readonly MemoryStream _content = new();

        public CheckpointPath Path { get; } = path;

        public Stream Content => _content;

        public Task<long> CommitAsync(bool overwrite, CancellationToken cancellationToken)
        {
            if (!overwrite && owner.Artifacts.ContainsKey(Path))
            {
                throw new ArtifactExistsException(Path);
            }

            var bytes = _content.ToArray();
            owner.Artifacts[Path] = bytes;
            return Task.FromResult((long)bytes.Length);
        }

        public ValueTask DisposeAsync()
        {
            owner.OpenStaged--;
            return _content.DisposeAsync();
        }
    }
}

internal sealed class FakeCheckpoints : ICheckpointRepository
{
    public List<Checkpoint> Rows { get; } = [];

    public Task<Checkpoint?> FindAsync(CheckpointPath path, CancellationToken cancellationToken) =>
        Task.FromResult(Rows.FirstOrDefault(c => c.Path == path));

    public Task<IReadOnlyList<Checkpoint>> ListVisibleByRunAsync(TrainingRunId runId, DateTimeOffset now, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Checkpoint>>(Rows.Where(c => c.TrainingRunId == runId && c.IsVisible(now)).ToList());

    public Task<Page<Checkpoint>> ListVisibleAsync(string owner, int offset, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var visible = Rows.Where(c => c.IsVisible(now)).ToList();
        return Task.FromResult(new Page<Checkpoint>(visible.Skip(offset).Take(limit).ToList(), visible.Count));
    }

    public Task<IReadOnlyList<Checkpoint>> ListLatestVisibleAsync(IReadOnlyCollection<TrainingRunId> runIds, DateTimeOffset now, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Checkpoint>>(Rows.Where(c => runIds.Contains(c.TrainingRunId) && c.IsVisible(now)).ToList());

    public Task<IReadOnlyList<Checkpoint>> ListPendingAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Checkpoint>>(Rows.Where(c => c.Status == CheckpointStatus.Pending).ToList());

    public Task<IReadOnlyList<Checkpoint>> ListExpiredAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Checkpoint>>(Rows.Where(c => c.IsExpired(now)).Take(limit).ToList());

    public Task<IReadOnlySet<CheckpointPath>> FindExistingAsync(IReadOnlyCollection<CheckpointPath> paths, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlySet<CheckpointPath>>(paths.Where(p => Rows.Any(c => c.Path == p)).ToHashSet());

    public void Add(Checkpoint checkpoint) => Rows.Add(checkpoint);

    public void Remove(Checkpoint checkpoint) => Rows.Remove(checkpoint);

    public void AddTombstone(CheckpointTombstone tombstone)
    {
    }

    public Task<bool> HasTombstoneAsync(CheckpointPath path, string idempotencyKey, DateTimeOffset since, CancellationToken cancellationToken) =>
        Task.FromResult(false);

    public Task<int> DeleteTombstonesBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken) => Task.FromResult(0);
}

internal sealed class FakeRuns : ITrainingRunRepository
{
    public List<TrainingRun> Rows { get; } = [];

    public Task<TrainingRun?> FindAsync(TrainingRunId id, CancellationToken cancellationToken) =>
        Task.FromResult(Rows.FirstOrDefault(r => r.Id == id));

    public Task<Page<TrainingRun>> ListAsync(string owner, int offset, int limit, CancellationToken cancellationToken) =>
        Task.FromResult(new Page<TrainingRun>(Rows.Skip(offset).Take(limit).ToList(), Rows.Count));

    public void Add(TrainingRun run) => Rows.Add(run);

    public Task<IReadOnlyList<TrainingRun>> ListBySessionAsync(SessionId sessionId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<TrainingRun>>(Rows.Where(r => r.SessionId == sessionId).ToList());
}

internal sealed class FakeSamplers : ISamplingSessionRepository
{
    public List<SamplingSession> Rows { get; } = [];

    public Task<SamplingSession?> FindAsync(string id, CancellationToken cancellationToken) =>
        Task.FromResult(Rows.FirstOrDefault(s => s.Id == id));

    public Task<IReadOnlyList<SamplingSession>> ListBySessionAsync(SessionId sessionId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<SamplingSession>>(Rows.Where(s => s.SessionId == sessionId).ToList());

    public void Add(SamplingSession samplingSession) => Rows.Add(samplingSession);
}

internal sealed class FakeFutures : IFutureRepository
{
    public Dictionary<string, FutureRequest> Rows { get; } = [];

    public int Finds { get; private set; }

    public Task<FutureRequest?> FindAsync(string requestId, CancellationToken cancellationToken)
    {
        Finds++;
        return Task.FromResult(Rows.GetValueOrDefault(requestId));
    }

    public Task<FutureRequest?> FindByDedupKeyAsync(string dedupKey, CancellationToken cancellationToken) =>
        Task.FromResult(Rows.Values.FirstOrDefault(f => f.DedupKey == dedupKey));

    public Task<bool> HasTrainingRequestsAsync(string modelId, CancellationToken cancellationToken) =>
        Task.FromResult(Rows.Values.Any(f => f.ModelId == modelId && f.Kind != RequestKind.CreateModel));

    public Task<IReadOnlyList<string>> ListDoneAsync(IReadOnlyCollection<string> requestIds, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(requestIds.Where(id => Rows.TryGetValue(id, out var f) && f.IsDone).ToList());

    public Task<IReadOnlyList<FutureRequest>> ListUnfinishedAsync(IReadOnlyCollection<RequestKind> kinds, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<FutureRequest>>(Rows.Values.Where(f => !f.IsDone && kinds.Contains(f.Kind)).ToList());

    public Task<int> DeleteFinishedBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        var old = Rows.Values.Where(f => f.IsDone && f.CompletedAt < before).Take(limit).Select(f => f.Id).ToList();
        old.ForEach(id => Rows.Remove(id));
        return Task.FromResult(old.Count);
    }

    public void Add(FutureRequest request) => Rows[request.Id] = request;
}

internal sealed class FakeUnitOfWork : IUnitOfWork
{
    public int Commits { get; private set; }

    public Task SaveChangesAsync(CancellationToken cancellationToken)
    {
        Commits++;
        return Task.CompletedTask;
    }
}

internal sealed class FakeQueue(FakeFutures futures) : IRequestQueue
{
    public Task<IReadOnlyList<FutureRequest>> ClaimNextAsync(string workerId, int maxBatch, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<FutureRequest>>([]);

    public Task SaveOutcomeAsync(IReadOnlyList<FutureRequest> requests, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<int> FailRunningAsync(IReadOnlyCollection<string> requestIds, string error, CancellationToken cancellationToken) =>
        Task.FromResult(0);

    public Task<int> RequeueAbandonedAsync(CancellationToken cancellationToken)
    {
        var running = futures.Rows.Values.Where(f => f.Status == FutureStatus.Running).ToList();
        running.ForEach(f => f.Requeue());
        return Task.FromResult(running.Count);
    }
}
