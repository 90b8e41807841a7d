using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Application.Engine;
using TinkerServer.Application.Futures;
using TinkerServer.Application.Futures.RetrieveFuture;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Futures;
using TinkerServer.Domain.Sessions;
using TinkerServer.Domain.TrainingRuns;
using TinkerServer.Infrastructure.Engine;
using TinkerServer.Infrastructure.Storage;

namespace TinkerServer.Infrastructure.Tests.Engine;

/// <summary>The engine end to end on a temp SQLite file and a temp checkpoint root, with a scripted backend.</summary>
public sealed class EngineWorkerTests : IAsyncLifetime
{
    private static readonly SessionId Session = SessionId.Parse("sess");
    private static readonly TrainingRunId Model = TrainingRunId.ForSession(Session, 0);

    private readonly ScriptedBackend _backend = new();
    private readonly string _root = Path.Combine(Path.GetTempPath(), "tinker-engine-tests", Guid.NewGuid().ToString("N"), "checkpoints");
    private FileSystemArtifactStorage _storage = null!;
    private EngineDatabase _db = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        _storage = new FileSystemArtifactStorage(_root);
        _db = await EngineDatabase.CreateAsync(o => o.WorkerConcurrency = 1, _backend, _storage);
        await using var scope = _db.Scope();
        scope.ServiceProvider.GetRequiredService<ITrainingRunRepository>()
            .Add(TrainingRun.Create(Model, Session, "tiny", LoraConfig.Create(4, 1), "owner", _db.Time.GetUtcNow()));
        await scope.ServiceProvider.GetRequiredService<IUnitOfWork>().SaveChangesAsync(default);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_root)!, recursive: true);
    }

    [Fact]
    public async Task Enqueued_requests_are_executed_in_order_stored_and_their_waiters_woken()
    {
        var create = await EnqueueAsync(new NewFuture(RequestKind.CreateModel, Model.Value, null, null, FutureEnqueuer.CreateModelKey(Model.Value),
            new CreateModelPayload("tiny", LoraConfig.Create(4, 1))));
        var optim = await EnqueueAsync(new NewFuture(RequestKind.OptimStep, Model.Value, null, 1, FutureEnqueuer.TrainingKey(Model.Value, 1),
            new OptimStepPayload(new Application.Abstractions.Compute.AdamParams(LearningRate: 0.5))));
        var path = new CheckpointPath(Model, CheckpointType.Training, CheckpointName.Parse("final"));
        var save = await EnqueueAsync(
            new NewFuture(RequestKind.SaveWeights, Model.Value, null, 2, FutureEnqueuer.TrainingKey(Model.Value, 2), new SaveWeightsPayload("final", false, null)),
            scope =>
            {
                // As the API does: the pending row commits with the request.
                scope.GetRequiredService<ICheckpointRepository>().Add(Checkpoint.CreatePending(path, _db.Time.GetUtcNow()));
                return null;
            });
        var hub = _db.Services.GetRequiredService<FutureCompletionHub>();
        var waiter = hub.WaitAsync(save, TimeSpan.FromMinutes(1), default);
        var worker = _db.Services.GetRequiredService<EngineWorker>();

        var items = 0;
        while (await worker.RunOnceAsync("w", default))
        {
            items++;
        }

        items.Should().Be(3);
        _backend.Calls.Should().Equal($"create {Model}", $"optim {Model}", $"save {Model}");
        (await waiter.WaitAsync(TimeSpan.FromSeconds(5))).Should().BeTrue();
        hub.QueryCount.Should().Be(0, "in-process completions notify directly");

        var outcome = await RetrieveAsync(save);
        outcome.Should().BeOfType<FutureCompleted>().Which.ResultJson.Should().Be($$"""{"path":"tinker://{{Model}}/weights/final","type":"save_weights"}""");
        (await RetrieveAsync(optim)).Should().BeOfType<FutureCompleted>().Which.ResultJson.Should().Contain("\"lr:mean\":0.5");
        (await RetrieveAsync(create)).Should().BeOfType<FutureCompleted>();

        await using var check = _db.Scope();
        var listed = await check.ServiceProvider.GetRequiredService<ICheckpointRepository>().ListVisibleByRunAsync(Model, _db.Time.GetUtcNow(), default);
        var checkpoint = listed.Should().ContainSingle().Subject;
        checkpoint.SizeBytes.Should().Be(Encoding.UTF8.GetByteCount($"weights of {Model}"));
        (await _storage.GetInfoAsync(path, default))!.Length.Should().Be(checkpoint.SizeBytes!.Value);
    }

    [Fact]
    public async Task A_crash_between_staging_and_commit_leaves_no_listed_checkpoint_and_no_leftover_after_start_up()
    {
        _backend.Calls.Clear();
        var path = new CheckpointPath(Model, CheckpointType.Training, CheckpointName.Parse("step1"));
        var save = await EnqueueAsync(
            new NewFuture(RequestKind.SaveWeights, Model.Value, null, 1, FutureEnqueuer.TrainingKey(Model.Value, 1), new SaveWeightsPayload("step1", false, null)),
            scope =>
            {
                scope.GetRequiredService<ICheckpointRepository>().Add(Checkpoint.CreatePending(path, _db.Time.GetUtcNow()));
                return null;
            });
        var later = await EnqueueAsync(new NewFuture(RequestKind.OptimStep, Model.Value, null, 2, FutureEnqueuer.TrainingKey(Model.Value, 2),
            new OptimStepPayload(new Application.Abstractions.Compute.AdamParams())));

        // The crashed process had claimed the save and staged half an archive, then died before the commit.
        (await _db.ClaimAsync("dead-worker")).Should().Equal(save);
        var staged = await _storage.BeginWriteAsync(path, default);
        await staged.Content.WriteAsync(Encoding.UTF8.GetBytes("half an archi"));
        await staged.Content.FlushAsync();
        var stagingDirectory = Path.Combine(_root, FileSystemArtifactStorage.StagingDirectoryName);
        Directory.EnumerateFileSystemEntries(stagingDirectory).Should().NotBeEmpty();
        var waiter = _db.Services.GetRequiredService<FutureCompletionHub>().WaitAsync(save, TimeSpan.FromMinutes(1), default);

        var report = await _db.Services.GetRequiredService<EngineWorker>().RecoverAsync(default);

        report.Should().BeEquivalentTo(new RecoveryReport(1, 1, [save], 1));
        Directory.Exists(stagingDirectory).Should().BeTrue();
        Directory.EnumerateFileSystemEntries(stagingDirectory).Should().BeEmpty();
        (await _storage.GetInfoAsync(path, default)).Should().BeNull();
        await using (var scope = _db.Scope())
        {
            var checkpoints = scope.ServiceProvider.GetRequiredService<ICheckpointRepository>();
            (await checkpoints.ListVisibleByRunAsync(Model, _db.Time.GetUtcNow(), default)).Should().BeEmpty();
            (await checkpoints.FindAsync(path, default))!.Status.Should().Be(CheckpointStatus.Failed);
        }

        (await waiter.WaitAsync(TimeSpan.FromSeconds(5))).Should().BeTrue();
        (await RetrieveAsync(save)).Should().Be(new FutureFailed(save, RequestKind.SaveWeights, EngineRecovery.InterruptedSaveMessage, FailureCategory.Server));

        // The run's queue moves on: the next request is not blocked behind the failed save.
        (await _db.GetAsync(later)).Status.Should().Be(FutureStatus.Pending);
        (await _db.ClaimAsync()).Should().Equal(later);
        await staged.DisposeAsync();
    }

    [Fact]
    public async Task When_the_outcome_cannot_be_stored_the_request_fails_as_a_server_error_and_its_waiters_wake()
    {
        await EnqueueAsync(new NewFuture(RequestKind.CreateModel, Model.Value, null, null, FutureEnqueuer.CreateModelKey(Model.Value),
            new CreateModelPayload("tiny", LoraConfig.Create(4, 1))));
        var path = new CheckpointPath(Model, CheckpointType.Training, CheckpointName.Parse("vanishing"));
        var save = await EnqueueAsync(
            new NewFuture(RequestKind.SaveWeights, Model.Value, null, 1, FutureEnqueuer.TrainingKey(Model.Value, 1), new SaveWeightsPayload("vanishing", false, null)),
            scope =>
            {
                scope.GetRequiredService<ICheckpointRepository>().Add(Checkpoint.CreatePending(path, _db.Time.GetUtcNow()));
                return null;
            });

        // The checkpoint row disappears while the backend writes: completing it then updates no row, so the commit fails.
        _backend.DuringSave = async () =>
        {
            await using var scope = _db.Scope();
            await scope.ServiceProvider.GetRequiredService<TinkerServer.Infrastructure.Persistence.AppDbContext>().Checkpoints
                .Where(c => c.Name == path.Name)
                .ExecuteDeleteAsync();
        };
        var worker = _db.Services.GetRequiredService<EngineWorker>();
        (await worker.RunOnceAsync("w", default)).Should().BeTrue();
        var waiter = _db.Services.GetRequiredService<FutureCompletionHub>().WaitAsync(save, TimeSpan.FromMinutes(1), default);

        (await worker.RunOnceAsync("w", default)).Should().BeTrue();

        (await waiter.WaitAsync(TimeSpan.FromSeconds(5))).Should().BeTrue();
        var outcome = (await RetrieveAsync(save)).Should().BeOfType<FutureFailed>().Subject;
        outcome.Category.Should().Be(FailureCategory.Server);
        outcome.Error.Should().Contain("could not store");
        (await worker.RunOnceAsync("w", default)).Should().BeFalse("nothing is left running or pending");
    }

    [Fact]
    public async Task The_hosted_worker_recovers_before_its_start_returns_then_wakes_on_new_work_and_stops_cleanly()
    {
        var leftover = new CheckpointPath(Model, CheckpointType.Sampler, CheckpointName.Parse("crashed"));
        await using (var scope = _db.Scope())
        {
            scope.ServiceProvider.GetRequiredService<ICheckpointRepository>().Add(Checkpoint.CreatePending(leftover, _db.Time.GetUtcNow()));
            await scope.ServiceProvider.GetRequiredService<IUnitOfWork>().SaveChangesAsync(default);
        }

        var worker = _db.Services.GetRequiredService<EngineWorker>();
        await worker.StartAsync(default);

        // Recovery is done when StartAsync returns, i.e. before a web host would start listening.
        worker.Started.IsCompletedSuccessfully.Should().BeTrue();
        await using (var scope = _db.Scope())
        {
            (await scope.ServiceProvider.GetRequiredService<ICheckpointRepository>().FindAsync(leftover, default))!
                .Status.Should().Be(CheckpointStatus.Failed);
        }

        var create = await EnqueueAsync(new NewFuture(RequestKind.CreateModel, Model.Value, null, null, FutureEnqueuer.CreateModelKey(Model.Value),
            new CreateModelPayload("tiny", LoraConfig.Create(4, 1))));
        var hub = _db.Services.GetRequiredService<FutureCompletionHub>();

        (await hub.WaitAsync(create, TimeSpan.FromSeconds(10), default)).Should().BeTrue();
        (await RetrieveAsync(create)).Should().BeOfType<FutureCompleted>();
        await worker.StopAsync(default);
        _backend.IsLoaded(Model).Should().BeTrue();
    }

    private async Task<string> EnqueueAsync(NewFuture request, Func<IServiceProvider, string?>? onFirst = null)
    {
        await using var scope = _db.Scope();
        var enqueuer = scope.ServiceProvider.GetRequiredService<FutureEnqueuer>();
        _db.Time.Advance(TimeSpan.FromMilliseconds(1));
        var future = await enqueuer.EnqueueAsync(
            request,
            onFirst is null ? null : _ => Task.FromResult(onFirst(scope.ServiceProvider)),
            default);
        return future.RequestId;
    }

    private async Task<FutureOutcome> RetrieveAsync(string requestId)
    {
        await using var scope = _db.Scope();
        var handler = new RetrieveFutureQueryHandler(
            scope.ServiceProvider.GetRequiredService<IFutureRepository>(),
            scope.ServiceProvider.GetRequiredService<FutureCompletionHub>(),
            scope.ServiceProvider.GetRequiredService<IOptions<EngineOptions>>());
        return await handler.Handle(new RetrieveFutureQuery(requestId), default);
    }
}
