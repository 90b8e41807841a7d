using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Engine;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Futures;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Tests.Engine;

public sealed class EngineRecoveryTests
{
    private static readonly TrainingRunId Model = TrainingRunId.Parse("sess:train:0");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeFutures _futures = new();
    private readonly FakeCheckpoints _checkpoints = new();
    private readonly FakeStorage _storage = new();
    private readonly FakeUnitOfWork _unitOfWork = new();
    private readonly EngineRecovery _recovery;

    public EngineRecoveryTests() =>
        _recovery = new EngineRecovery(new FakeQueue(_futures), _futures, _checkpoints, _storage, _unitOfWork, _time, NullLogger<EngineRecovery>.Instance);

    [Fact]
    public async Task A_save_interrupted_by_a_crash_fails_with_its_checkpoint_and_its_leftovers_are_removed()
    {
        var path = new CheckpointPath(Model, CheckpointType.Training, CheckpointName.Parse("step1"));
        var checkpoint = Checkpoint.CreatePending(path, _time.GetUtcNow());
        _checkpoints.Add(checkpoint);
        var save = Add("save", RequestKind.SaveWeights, new SaveWeightsPayload("step1", false, null));
        save.Start("dead-worker", _time.GetUtcNow());
        _storage.Leftovers = 1; // the staged half-written archive

        var report = await _recovery.RecoverAsync(default);

        checkpoint.Status.Should().Be(CheckpointStatus.Failed);
        checkpoint.IsVisible(_time.GetUtcNow()).Should().BeFalse();
        save.Status.Should().Be(FutureStatus.Failed);
        save.ErrorCategory.Should().Be(FailureCategory.Server);
        save.Error.Should().Be(EngineRecovery.InterruptedSaveMessage);
        report.Should().BeEquivalentTo(new RecoveryReport(1, 1, ["save"], 1));
        _storage.Leftovers.Should().Be(0);
        _unitOfWork.Commits.Should().Be(1);
    }

    [Fact]
    public async Task Other_interrupted_requests_go_back_to_the_queue_and_unrelated_saves_are_untouched()
    {
        var running = Add("fwd", RequestKind.ForwardBackward, new OptimStepPayload(new AdamParams()));
        running.Start("dead-worker", _time.GetUtcNow());
        var ephemeral = Add("eph", RequestKind.SaveWeightsForSampler, new SaveWeightsForSamplerPayload(null, "sess:sample:0", null));
        var done = Checkpoint.CreateCompleted(new CheckpointPath(Model, CheckpointType.Sampler, CheckpointName.Parse("old")), _time.GetUtcNow(), 10);
        _checkpoints.Add(done);

        var report = await _recovery.RecoverAsync(default);

        running.Status.Should().Be(FutureStatus.Pending);
        running.ClaimedBy.Should().BeNull();
        ephemeral.Status.Should().Be(FutureStatus.Pending);
        done.Status.Should().Be(CheckpointStatus.Completed);
        report.Should().BeEquivalentTo(new RecoveryReport(1, 0, [], 0));
    }

    private FutureRequest Add(string id, RequestKind kind, object payload)
    {
        var request = RequestExecutorTests.NewRequest(id, kind, payload, Model.Value, 1, null, _time.GetUtcNow());
        _futures.Add(request);
        return request;
    }
}
