using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Futures;
using TinkerServer.Domain.Sampling;
using TinkerServer.Domain.Sessions;
using TinkerServer.Domain.TrainingRuns;
using TinkerServer.Infrastructure.Compute.Reference;
using TinkerServer.Infrastructure.Engine;
using TinkerServer.Infrastructure.Persistence;
using TinkerServer.Infrastructure.Storage;

namespace TinkerServer.Infrastructure.Tests.Engine;

/// <summary>
/// The engine with the real reference backend on the built-in tiny model, SQLite and the file-system storage:
/// train, save, load into a second run and reproduce its losses, sample from a saved sampler checkpoint.
/// </summary>
public sealed class EngineReferenceBackendTests : IAsyncLifetime
{
    private static readonly SessionId Session = SessionId.Parse("sess");
    private static readonly TrainingRunId First = TrainingRunId.ForSession(Session, 0);
    private static readonly TrainingRunId Second = TrainingRunId.ForSession(Session, 1);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "tinker-engine-tests", Guid.NewGuid().ToString("N"), "checkpoints");
    private EngineDatabase _db = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        var backend = new ReferenceTrainingBackend(new ReferenceModelRegistry(modelsDirectory: null, preferred: null), NullLogger<ReferenceTrainingBackend>.Instance);
        _db = await EngineDatabase.CreateAsync(backend: backend, storage: new FileSystemArtifactStorage(_root));
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_root)!, recursive: true);
    }

    [Fact]
    public async Task Train_save_load_into_a_new_run_reproduces_the_losses_and_a_saved_sampler_samples()
    {
        var lora = LoraConfig.Create(4, 7);
        await AddRunAsync(First, lora);
        await AddRunAsync(Second, lora);
        await EnqueueAsync(RequestKind.CreateModel, First, null, new CreateModelPayload(BuiltInModels.TinyName, lora));
        var fb1 = await EnqueueAsync(RequestKind.ForwardBackward, First, 1, Batch([1, 2, 3, 4, 5]));
        var fb2 = await EnqueueAsync(RequestKind.ForwardBackward, First, 2, Batch([9, 8, 7, 6]));
        await EnqueueAsync(RequestKind.OptimStep, First, 3, new OptimStepPayload(new AdamParams(LearningRate: 1e-2)));
        var after = await EnqueueAsync(RequestKind.Forward, First, 4, Batch([1, 2, 3, 4, 5]));
        var training = new CheckpointPath(First, CheckpointType.Training, CheckpointName.Parse("ckpt"));
        await EnqueueAsync(RequestKind.SaveWeights, First, 5, new SaveWeightsPayload("ckpt", false, null), training);
        var sampler = new CheckpointPath(First, CheckpointType.Sampler, CheckpointName.Parse("s1"));
        await EnqueueAsync(RequestKind.SaveWeightsForSampler, First, 6, new SaveWeightsForSamplerPayload("s1", null, null), sampler);

        await EnqueueAsync(RequestKind.CreateModel, Second, null, new CreateModelPayload(BuiltInModels.TinyName, lora));
        var load = await EnqueueAsync(RequestKind.LoadWeights, Second, 1, new LoadWeightsPayload(training.TinkerPath, true));
        var reproduced = await EnqueueAsync(RequestKind.Forward, Second, 2, Batch([1, 2, 3, 4, 5]));

        var items = await DrainAsync();

        // Two forward_backward requests were one work item; everything else one item each.
        items.Should().Be(9, "11 requests, the two forward_backward requests claimed together");
        var results = new Dictionary<string, FutureRequest>();
        await using (var scope = _db.Scope())
        {
            var futures = scope.ServiceProvider.GetRequiredService<IFutureRepository>();
            foreach (var id in new[] { fb1, fb2, after, load, reproduced })
            {
                results[id] = (await futures.FindAsync(id, default))!;
                results[id].Status.Should().Be(FutureStatus.Completed, results[id].Error);
            }
        }

        var lossesAfterStep = Losses(results[after]);
        Losses(results[reproduced]).Should().Equal(lossesAfterStep, "the loaded run computes exactly what the saved one did");
        Losses(results[fb1]).Should().NotEqual(lossesAfterStep, "the optimizer step changed the weights");
        FutureJson.Deserialize<ForwardBackwardOutput>(results[fb2].Result!).LossFnOutputs.Should().ContainSingle();

        // The saved sampler checkpoint can be sampled from.
        await using (var scope = _db.Scope())
        {
            scope.ServiceProvider.GetRequiredService<ISamplingSessionRepository>()
                .Add(SamplingSession.ForCheckpoint("sess:sample:0", Session, BuiltInModels.TinyName, sampler, _db.Time.GetUtcNow()));
            await scope.ServiceProvider.GetRequiredService<IUnitOfWork>().SaveChangesAsync(default);
        }

        var sample = await EnqueueAsync(RequestKind.Sample, null, 0,
            new SamplePayload(new SampleInput([1, 2, 3], 2, new SamplingParams(5, 42, []), false, 0)), samplerId: "sess:sample:0");
        (await DrainAsync()).Should().Be(1);
        var sampled = await _db.GetAsync(sample);
        sampled.Status.Should().Be(FutureStatus.Completed, sampled.Error);
        using var doc = JsonDocument.Parse(sampled.Result!);
        doc.RootElement.GetProperty("sequences").GetArrayLength().Should().Be(2);

        await using (var scope = _db.Scope())
        {
            var listed = await scope.ServiceProvider.GetRequiredService<ICheckpointRepository>().ListVisibleByRunAsync(First, _db.Time.GetUtcNow(), default);
            listed.Select(c => c.Path).Should().BeEquivalentTo([training, sampler]);
            listed.Should().OnlyContain(c => c.SizeBytes > 0);
        }
    }

    private async Task<int> DrainAsync()
    {
        var worker = _db.Services.GetRequiredService<EngineWorker>();
        var items = 0;
        while (await worker.RunOnceAsync("w", default))
        {
            items++;
        }

        return items;
    }

    private async Task AddRunAsync(TrainingRunId id, LoraConfig lora)
    {
        await using var scope = _db.Scope();
        scope.ServiceProvider.GetRequiredService<ITrainingRunRepository>()
            .Add(TrainingRun.Create(id, Session, BuiltInModels.TinyName, lora, "owner", _db.Time.GetUtcNow()));
        await scope.ServiceProvider.GetRequiredService<IUnitOfWork>().SaveChangesAsync(default);
    }

    private async Task<string> EnqueueAsync(
        RequestKind kind, TrainingRunId? model, long? seq, object payload, CheckpointPath? pending = null, string? samplerId = null)
    {
        _db.Time.Advance(TimeSpan.FromMilliseconds(1));
        await using var scope = _db.Scope();
        var key = seq is null || model is null ? null : FutureEnqueuer.TrainingKey(model.Value.Value, seq.Value);
        var future = await scope.ServiceProvider.GetRequiredService<FutureEnqueuer>().EnqueueAsync(
            new NewFuture(kind, model?.Value, samplerId, seq, key, payload),
            pending is null
                ? null
                : _ =>
                {
                    scope.ServiceProvider.GetRequiredService<AppDbContext>().Checkpoints.Add(Checkpoint.CreatePending(pending, _db.Time.GetUtcNow()));
                    return Task.FromResult<string?>(null);
                },
            default);
        return future.RequestId;
    }

    private static ForwardBackwardPayload Batch(int[] tokens) =>
        new(new ForwardBackwardBatch(
            [new Datum(tokens[..^1], new Dictionary<string, TensorData>
            {
                ["target_tokens"] = TensorData.FromInts(tokens[1..].Select(t => (long)t).ToArray()),
                ["weights"] = TensorData.FromFloats(Enumerable.Repeat(1f, tokens.Length - 1).ToArray()),
            })],
            LossFunctions.CrossEntropy,
            new Dictionary<string, double>()));

    private static float[] Losses(FutureRequest request) =>
        FutureJson.Deserialize<ForwardBackwardOutput>(request.Result!).LossFnOutputs.Single()["logprobs"].Floats!;
}
